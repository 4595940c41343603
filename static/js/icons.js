// Icons built as SVG DOM (no markup strings): svgIcon() draws one path, 24×24 in
// currentColor and hidden from assistive technology (the control around the icon carries
// the words); the player's icons and the header's upload button use it too. icon() gives
// the interaction controls' icons (like, dislike, bell, …) by name.
const SVG = 'http://www.w3.org/2000/svg';

const paths = {
  like: 'M7 10v10H4V10zM7 10l4-7c1.4 0 2.4 1.2 2.1 2.6L12.5 9H18a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 16.8 20H7',
  dislike: 'M17 14V4h3v10zM17 14l-4 7c-1.4 0-2.4-1.2-2.1-2.6l.6-3.4H6a2 2 0 0 1-2-2.3l1.2-7A2 2 0 0 1 7.2 4H17',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15zM10 20.5a2 2 0 0 0 4 0',
  check: 'M5 12.5l4.5 4.5L19 7.5',
  sort: 'M4 7h16M7 12h10M10 17h4',
  reply: 'M10 8V4l-7 7 7 7v-4c5 0 8 1.5 11 5-1-5-4-10-11-11z',
  flag: 'M5 21V4m0 0h12l-2.5 4.5L17 13H5',
  shield: 'M12 3 5 6v5c0 4.5 3 8.3 7 10 4-1.7 7-5.5 7-10V6z',
};

function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(key, String(value));
  }
}

// d: the path; a stroke 2 wide with round ends, or filled (filled: true).
export function svgIcon(d, { size = 24, className, filled = false } = {}) {
  const svg = document.createElementNS(SVG, 'svg');
  setAttributes(svg, { viewBox: '0 0 24 24', width: size, height: size, 'aria-hidden': 'true', focusable: 'false', class: className });
  const path = document.createElementNS(SVG, 'path');
  setAttributes(path, filled ? { d, fill: 'currentColor' } : {
    d, fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round',
  });
  svg.append(path);
  return svg;
}

export function icon(name, { size = 20 } = {}) {
  return svgIcon(paths[name], { size, className: `icon icon--${name}` });
}
