// Controls and figures the analytics pages share: a row of toggle buttons for the range
// or the granularity (one pressed at a time), the cards with a period's totals, and the
// page's busy/error state while a new period loads.
import { h, replaceChildren } from '../dom.js';
import { formatCount, formatWatchTime } from '../format.js';

// options: [{value, label, short?}]. onChange(value) runs when another one is pressed.
// Returns {element, set(value), enable(value, allowed)}.
export function segmentedControl({ label, options, value, onChange, testid }) {
  const buttons = new Map();
  const element = h('div', { class: 'segmented', role: 'group', 'aria-label': label, dataset: { testid } },
    options.map((option) => {
      const button = h('button', {
        class: 'segmented__button', type: 'button', 'aria-pressed': String(option.value === value), dataset: { value: option.value },
        'aria-label': option.short ? option.label : null,
        on: {
          click: () => {
            if (button.getAttribute('aria-pressed') === 'true' || button.disabled) return;
            set(option.value);
            onChange(option.value);
          },
        },
      }, option.short ?? option.label);
      buttons.set(option.value, button);
      return button;
    }));
  function set(next) {
    for (const [key, button] of buttons) button.setAttribute('aria-pressed', String(key === next));
  }
  return {
    element,
    set,
    enable(key, allowed) {
      const button = buttons.get(key);
      if (!button) return;
      button.disabled = !allowed;
      button.title = allowed ? '' : 'Not available for this range';
    },
  };
}

const valueText = {
  count: (value) => formatCount(value),
  duration: (value) => formatWatchTime(value),
};

// specs: [{key, label, kind ('count' | 'duration'), detail(totals) -> text | null, value(totals)?}]
// Each value carries its exact number in data-value (for the tests and for a title).
export function statCards(specs, { label = 'Totals' } = {}) {
  const cards = specs.map((spec) => {
    const value = h('p', { class: 'stat-card__value', dataset: { testid: `total-${spec.key}` } });
    const detail = h('p', { class: 'stat-card__detail', dataset: { testid: `total-${spec.key}-detail` } });
    const element = h('li', { class: 'stat-card' }, h('h3', { class: 'stat-card__label', text: spec.label }), value, detail);
    return { spec, value, detail, element };
  });
  const element = h('ul', { class: 'stat-cards', 'aria-label': label }, cards.map((card) => card.element));
  return {
    element,
    update(totals) {
      for (const { spec, value, detail } of cards) {
        const number = Number(spec.value ? spec.value(totals) : totals?.[spec.key]) || 0;
        value.dataset.value = String(number);
        value.textContent = (valueText[spec.kind] ?? valueText.count)(number);
        value.title = spec.kind === 'duration' ? `${Math.round(number / 1000).toLocaleString()} seconds` : number.toLocaleString();
        const text = spec.detail ? spec.detail(totals) : null;
        detail.textContent = text ?? '';
        detail.hidden = !text;
      }
    },
  };
}

// A section whose content is replaced by each load: busy while loading (the old figures
// stay, dimmed, so nothing jumps), an error with a "Try again" button when it fails.
export function loadingRegion(content, { onRetry }) {
  const alert = h('div', { class: 'notice notice--error analytics__error', role: 'alert', hidden: true });
  const element = h('div', { class: 'analytics__region' }, alert, content);
  return {
    element,
    busy() {
      element.setAttribute('aria-busy', 'true');
      element.classList.add('is-loading');
    },
    done() {
      element.removeAttribute('aria-busy');
      element.classList.remove('is-loading');
      alert.hidden = true;
    },
    fail(message) {
      element.removeAttribute('aria-busy');
      element.classList.remove('is-loading');
      replaceChildren(alert,
        h('p', { text: message }),
        h('button', { class: 'button button--outline button--small', type: 'button', text: 'Try again', on: { click: onRetry } }));
      alert.hidden = false;
    },
  };
}
