// The site header shared by every page: the search box and its keyboard shortcut.
// The markup is in each page's HTML so the header is there before any script runs.

function isTypingTarget(element) {
  if (!element) return false;
  const tag = element.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || element.isContentEditable;
}

export function initHeader() {
  const form = document.querySelector('.site-header .search');
  const input = form?.querySelector('input[name="query"]');
  if (!form || !input) return;

  // Keep the query visible on the results page.
  if (location.pathname === '/search') {
    input.value = new URLSearchParams(location.search).get('query') ?? '';
  }

  form.addEventListener('submit', (event) => {
    if (input.value.trim() === '') {
      event.preventDefault();
      input.focus();
    }
  });

  // "/" jumps to search, as on most video sites.
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTypingTarget(document.activeElement)) return;
    event.preventDefault();
    input.focus();
    input.select();
  });
}
