// A labelled progress bar (role="progressbar" with its value and a text for screen
// readers). The fill's width is set through the CSSOM, which the CSP allows.
import { h } from '../dom.js';

// Returns {element, set(percent, valueText)}; percent null = indeterminate.
export function progressBar({ label, className = '' } = {}) {
  const fill = h('span', { class: 'progress__fill' });
  const element = h('div', {
    class: `progress ${className}`.trim(), role: 'progressbar', 'aria-label': label,
    'aria-valuemin': '0', 'aria-valuemax': '100',
  }, fill);
  return {
    element,
    set(percent, valueText) {
      if (percent === null || percent === undefined) {
        element.removeAttribute('aria-valuenow');
        element.classList.add('progress--indeterminate');
        fill.style.width = '';
      } else {
        const value = Math.max(0, Math.min(100, percent));
        element.classList.remove('progress--indeterminate');
        element.setAttribute('aria-valuenow', String(Math.round(value)));
        fill.style.width = `${value}%`;
      }
      if (valueText) element.setAttribute('aria-valuetext', valueText);
      else element.removeAttribute('aria-valuetext');
    },
  };
}
