// A button that opens a panel below it, as the header's account menu and notifications
// bell do: the button toggles the panel and a click elsewhere closes it; in the panel,
// ArrowDown and ArrowUp move between the items (round the ends), Home and End go to the
// first and the last, and Escape closes it and returns to the button. What differs stays
// with each: which keys on the button open it, what Tab does, what the panel holds.
//
// items(): the elements the arrows move between, in order. empty: where the focus goes
// while there are none (and while load() runs); arrows move from it too. load(): fills
// the panel on opening (async); the first or last item gets the focus once it is done,
// unless the panel was closed or the focus went elsewhere meanwhile. signal: ends the
// document listener.
export function popupPanel({ button, panel, items, empty = null, load = null, signal }) {
  const isOpen = () => !panel.hidden;
  const focusItem = (index) => {
    const all = items();
    if (all.length === 0) empty?.focus();
    else all[(index + all.length) % all.length].focus();
  };
  // focusIndex: 0 for the first item, -1 for the last.
  const open = async (focusIndex = 0) => {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (load) {
      empty?.focus();
      await load();
      if (!isOpen() || !panel.contains(document.activeElement)) return;
    }
    focusItem(focusIndex);
  };
  const close = (returnFocus = true) => {
    if (!isOpen()) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (returnFocus) button.focus();
  };

  button.addEventListener('click', () => (isOpen() ? close() : open()));
  panel.addEventListener('keydown', (event) => {
    const all = items();
    const index = all.indexOf(document.activeElement);
    const moves = { ArrowDown: index + 1, ArrowUp: index < 0 ? -1 : index - 1, Home: 0, End: -1 };
    if (event.key in moves && (index >= 0 || (empty && document.activeElement === empty))) {
      event.preventDefault();
      focusItem(moves[event.key]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  });
  document.addEventListener('click', (event) => {
    if (isOpen() && !panel.contains(event.target) && !button.contains(event.target)) close(false);
  }, { signal });

  return { isOpen, open, close };
}
