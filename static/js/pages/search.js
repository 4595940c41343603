// Search results (/search?query=…): GET /api/search/videos with the filters and sort of
// the URL, highlighted matches (built as DOM nodes, never markup), "did you mean",
// and pages. Changing a control loads the same page with the new URL, so every state
// has an address that can be shared or reloaded.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatDuration, formatViews, timeAgo } from '../format.js';
import { channelUrl, watchUrl } from '../urls.js';

export const name = 'search';
export const title = 'Search';

const FILTERS = [
  {
    param: 'upload_date', label: 'Upload date', options: [
      ['', 'Any time'], ['last_hour', 'Last hour'], ['today', 'Today'], ['this_week', 'This week'],
      ['this_month', 'This month'], ['this_year', 'This year'],
    ],
  },
  {
    param: 'duration', label: 'Length', options: [
      ['', 'Any length'], ['short', 'Under 4 minutes'], ['medium', '4–20 minutes'], ['long', 'Over 20 minutes'],
    ],
  },
  {
    param: 'sort', label: 'Sort by', options: [['', 'Relevance'], ['date', 'Upload date'], ['views', 'View count']],
  },
];
const KEPT = ['query', 'tags', 'upload_date', 'duration', 'sort', 'min_duration', 'max_duration', 'uploaded_after',
  'uploaded_before'];

function pageUrl(params, changes) {
  const next = new URLSearchParams();
  for (const key of KEPT) if (params.get(key)) next.set(key, params.get(key));
  for (const [key, value] of Object.entries(changes)) {
    if (value) next.set(key, value);
    else next.delete(key);
  }
  return `/search?${next}`;
}

// [{text, highlight}] -> text nodes and <mark>s.
function highlighted(segments, fallback) {
  if (!Array.isArray(segments) || segments.length === 0) return [fallback ?? ''];
  return segments.map((segment) => (segment.highlight ? h('mark', { text: segment.text }) : segment.text));
}

function renderResult(video) {
  const owner = video.owner ?? {};
  const ownerName = owner.display_name || owner.username || '';
  const stats = [formatViews(video.views), timeAgo(video.published_at ?? video.created_at)].filter(Boolean).join(' · ');
  return h('li', { class: 'search-result', dataset: { testid: 'search-result', videoId: video.id } },
    h('a', { class: 'search-result__thumb', href: watchUrl(video.id), tabindex: '-1', 'aria-hidden': 'true' },
      video.thumbnail_url
        ? h('img', { src: video.thumbnail_url, alt: '', loading: 'lazy', decoding: 'async', width: 320, height: 180 })
        : null,
      video.duration ? h('span', { class: 'video-card__duration', text: formatDuration(video.duration) }) : null),
    h('div', { class: 'search-result__body' },
      h('h3', { class: 'search-result__title' },
        h('a', { href: watchUrl(video.id) }, highlighted(video.highlighted_title, video.title))),
      h('p', { class: 'search-result__stats', text: stats }),
      ownerName
        ? h('p', { class: 'search-result__channel' },
          owner.id ? h('a', { href: channelUrl(owner), text: ownerName }) : ownerName)
        : null,
      video.snippet?.length ? h('p', { class: 'search-result__snippet' }, highlighted(video.snippet)) : null));
}

function renderControls(params) {
  return h('form', { class: 'search-filters', 'aria-label': 'Filters', on: { submit: (event) => event.preventDefault() } },
    FILTERS.map((filter) => {
      const id = `search-filter-${filter.param}`;
      const select = h('select', {
        id, name: filter.param, dataset: { testid: id },
        on: { change: () => location.assign(pageUrl(params, { [filter.param]: select.value, page: null })) },
      }, filter.options.map(([value, text]) =>
        h('option', { value, text, selected: (params.get(filter.param) ?? '') === value })));
      return h('div', { class: 'search-filters__field' }, h('label', { for: id, text: filter.label }), select);
    }));
}

export async function render(main) {
  const params = new URLSearchParams(location.search);
  const query = params.get('query') ?? '';
  if (query) document.title = `${query} · Search · monotube`;
  const heading = h('h1', { class: 'search-page__title', text: query ? `Results for “${query}”` : 'Search' });
  const status = h('div', { class: 'search-page__status', role: 'status' });
  const list = h('ul', { class: 'search-results', id: 'search-results', 'aria-label': 'Search results', 'aria-busy': 'true' });
  const pager = h('nav', { class: 'search-pager', 'aria-label': 'Result pages' });
  replaceChildren(main,
    h('section', { class: 'search-page' }, heading, renderControls(params), status, list, pager));

  const request = new URLSearchParams();
  for (const key of [...KEPT, 'page']) if (params.get(key)) request.set(key, params.get(key));
  request.set('limit', '20');
  try {
    const answer = await api(`/api/search/videos?${request}`);
    const videos = answer.videos ?? [];
    replaceChildren(list, videos.map(renderResult));
    const parts = [];
    if (answer.did_you_mean) {
      parts.push(h('p', { class: 'search-page__suggestion', dataset: { testid: 'did-you-mean' } },
        'Did you mean ', h('a', { href: pageUrl(params, { query: answer.did_you_mean, page: null }) },
          h('strong', { text: answer.did_you_mean })), '?'));
    }
    if (videos.length === 0) {
      parts.push(h('p', { class: 'search-page__empty', text: query
        ? `No videos match “${query}” with these filters.` : 'Type something to search for in the box above.' }));
    } else {
      parts.push(h('p', { class: 'search-page__count', text: `About ${answer.total_estimate} result${answer.total_estimate === 1 ? '' : 's'}` }));
    }
    replaceChildren(status, parts);
    const page = answer.page ?? 1;
    replaceChildren(pager,
      page > 1 ? h('a', { class: 'button button--outline', rel: 'prev', href: pageUrl(params, { page: page > 2 ? String(page - 1) : null }), text: 'Previous' }) : null,
      answer.next_page ? h('a', { class: 'button button--outline', rel: 'next', href: pageUrl(params, { page: String(answer.next_page) }), text: 'Next' }) : null);
  } catch (error) {
    replaceChildren(status, h('div', { class: 'notice notice--error', role: 'alert' },
      h('p', { text: `The search did not work. ${error.message}` })));
  } finally {
    list.removeAttribute('aria-busy');
  }
}
