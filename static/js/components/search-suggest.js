// Suggestions under the header search box while typing (GET /api/search/suggest), as an
// ARIA combobox: ArrowDown/ArrowUp move through the list, Enter searches for the one
// chosen (or for what was typed), Escape closes the list. Text goes in as text only.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { searchUrl } from '../urls.js';

const DEBOUNCE_MS = 80;

export function attachSearchSuggestions(form, input) {
  const listId = 'site-search-suggestions';
  const list = h('ul', { class: 'search-suggest', id: listId, role: 'listbox', 'aria-label': 'Suggestions', hidden: true });
  form.classList.add('search--suggest');
  form.append(list);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listId);

  let items = [];
  let active = -1;
  let timer = null;
  let controller = null;
  let typed = input.value;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    [...list.children].forEach((option, i) => option.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', list.children[index].id);
      input.value = items[index].text;
    } else {
      input.removeAttribute('aria-activedescendant');
      input.value = typed;
    }
  };

  const choose = (index) => {
    const text = index >= 0 ? items[index].text : input.value;
    close();
    if (text.trim() === '') return;
    input.value = text;
    location.assign(searchUrl(text));
  };

  const show = (suggestions) => {
    items = suggestions;
    active = -1;
    replaceChildren(list, suggestions.map((suggestion, i) =>
      h('li', {
        class: `search-suggest__option search-suggest__option--${suggestion.type}`,
        id: `${listId}-${i}`,
        role: 'option',
        'aria-selected': 'false',
        dataset: { testid: 'search-suggestion' },
        on: {
          // mousedown, not click: it comes before the input's blur closes the list.
          mousedown: (event) => {
            event.preventDefault();
            choose(i);
          },
        },
      },
      suggestion.type === 'tag' ? h('span', { class: 'search-suggest__kind', text: 'tag' }) : null,
      h('span', { class: 'search-suggest__text', text: suggestion.text }))));
    const open = suggestions.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    input.removeAttribute('aria-activedescendant');
  };

  const fetchSuggestions = async () => {
    const text = typed;
    controller?.abort();
    if (text.trim() === '') {
      show([]);
      return;
    }
    controller = new AbortController();
    try {
      const answer = await api(`/api/search/suggest?query=${encodeURIComponent(text)}`, { signal: controller.signal });
      if (text === typed && document.activeElement === input) show(answer.suggestions ?? []);
    } catch (error) {
      if (error.name !== 'AbortError') show([]);
    }
  };

  input.addEventListener('input', () => {
    typed = input.value;
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, DEBOUNCE_MS);
  });

  input.addEventListener('keydown', (event) => {
    const open = !list.hidden && items.length > 0;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (!open) {
        if (items.length > 0 && input.value.trim() !== '') {
          list.hidden = false;
          input.setAttribute('aria-expanded', 'true');
        }
        return;
      }
      highlight(active + 1 >= items.length ? -1 : active + 1);
    } else if (event.key === 'ArrowUp') {
      if (!open) return;
      event.preventDefault();
      highlight(active <= -1 ? items.length - 1 : active - 1);
    } else if (event.key === 'Enter') {
      if (open && active >= 0) {
        event.preventDefault();
        choose(active);
      } else {
        close();
      }
    } else if (event.key === 'Escape') {
      if (open) {
        event.preventDefault();
        event.stopPropagation();
        highlight(-1);
        close();
      }
    }
  });

  input.addEventListener('blur', () => setTimeout(close, 100));
}
