// Who is signed in: GET /api/auth/session (200 with user null for a visitor, so a
// visitor's page load has no failed request), asked once per page load and shared by
// the header and the pages. Pages that change the user (profile,
// avatar) hand the new user object to setUser() so the header follows.
import { api } from './api.js';

let user = null;
let loading = null;
const listeners = new Set();

// Resolves to the user object, or null for an anonymous visitor.
export function loadSession() {
  loading ??= api('/api/auth/session').then(
    (data) => {
      user = data?.user ?? null;
      return user;
    },
    (error) => {
      // Server down or network trouble: public pages still work, as a visitor.
      console.warn('monotube: could not load the session', error);
      user = null;
      return null;
    },
  );
  return loading;
}

export function currentUser() {
  return user;
}

export function setUser(next) {
  user = next ?? null;
  loading = Promise.resolve(user);
  for (const listener of listeners) listener(user);
}

// listener(user) runs whenever setUser() changes the user; returns an unsubscribe function.
export function onUserChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function displayName(someone) {
  return someone?.display_name || someone?.username || '';
}
