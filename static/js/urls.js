// The UI's own addresses, in one place.

export const watchUrl = (videoId) => `/watch/${encodeURIComponent(videoId)}`;
export const uploadUrl = '/upload';
export const myVideosUrl = '/my/videos';
export const subscriptionsFeedUrl = '/feed/subscriptions';
// Channels are addressed by the user's id (GET /api/users/{user_id}); usernames can change.
export const channelUrl = (user) => `/channel/${encodeURIComponent(user.id)}`;
export const searchUrl = (query) => `/search?query=${encodeURIComponent(query)}`;
export const loginUrl = (next) => (next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login');
export const signupUrl = (next) => (next && next !== '/' ? `/signup?next=${encodeURIComponent(next)}` : '/signup');

// The page to go to after signing in: ?next= when it is a path on this site, else home.
// "//evil.example" and "/\evil.example" are other sites to a browser, so they do not count.
export function safeNext(search = location.search) {
  const next = new URLSearchParams(search).get('next');
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  try {
    const url = new URL(next, location.origin);
    if (url.origin !== location.origin) return '/';
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return '/';
  }
}

// Analytics: the creator's studio, one video's figures, trending, the site's figures (admins).
export const studioUrl = '/studio';
export const studioVideoUrl = (videoId) => `/studio/videos/${encodeURIComponent(videoId)}`;
export const trendingUrl = '/trending';
export const siteAnalyticsUrl = '/admin/analytics';
