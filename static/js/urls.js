// The UI's own addresses, in one place.

export const watchUrl = (videoId) => `/watch?v=${encodeURIComponent(videoId)}`;
export const channelUrl = (user) => `/channel/${encodeURIComponent(user.username ?? user.id)}`;
export const searchUrl = (query) => `/search?query=${encodeURIComponent(query)}`;
