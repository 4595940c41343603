// Small decorative SVG illustrations (aria-hidden), built as DOM so no markup strings
// are ever parsed.
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, children = []) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

// A screen with a play button: the empty state of video lists.
export function emptyScreenArt() {
  return svg('svg', {
    class: 'empty-state__art', viewBox: '0 0 240 160', width: 240, height: 160, 'aria-hidden': 'true',
    focusable: 'false',
  }, [
    svg('rect', { class: 'art-soft', x: 20, y: 26, width: 200, height: 118, rx: 18 }),
    svg('rect', { class: 'art-screen', x: 38, y: 40, width: 164, height: 90, rx: 10 }),
    svg('path', {
      class: 'art-accent', d: 'M108 68v34a3 3 0 0 0 4.5 2.6l28-17a3 3 0 0 0 0-5.2l-28-17A3 3 0 0 0 108 68z',
    }),
    svg('rect', { class: 'art-line', x: 92, y: 150, width: 56, height: 6, rx: 3 }),
    svg('circle', { class: 'art-spark', cx: 28, cy: 18, r: 5 }),
    svg('circle', { class: 'art-spark', cx: 214, cy: 14, r: 3.5 }),
    svg('circle', { class: 'art-spark', cx: 226, cy: 40, r: 2.5 }),
  ]);
}
