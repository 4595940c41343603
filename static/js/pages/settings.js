// /settings: the signed-in person's account — profile, avatar, password, sessions, a
// copy of their data, and deleting the account. Visitors are sent to sign in first.
import { api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { renderAvatar } from '../components/avatar.js';
import { setFlash } from '../flash.js';
import { formatDateTime, timeAgo } from '../format.js';
import {
  checkboxField, field, formAlert, formStatus, navigate, onSubmit, showMessage,
} from '../forms.js';
import { displayName, loadSession, onUserChange, setUser } from '../session.js';
import { channelUrl, loginUrl } from '../urls.js';

export const name = 'settings';
export const title = 'Settings';

const maxAvatarBytes = 10 * 1024 * 1024;

function section(id, heading, intro, ...content) {
  return h('section', { class: 'settings-section', id, 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'settings-section__title', id: `${id}-title`, text: heading }),
    intro ? h('p', { class: 'settings-section__intro', text: intro }) : null,
    ...content);
}

// Lets password managers tell whose password a form changes (it is never shown).
function hiddenUsername(user) {
  return h('input', { type: 'text', name: 'username', autocomplete: 'username', value: user.username, hidden: true, readonly: true, tabindex: '-1' });
}

function button(label, { variant = 'primary', type = 'submit', ...props } = {}) {
  return h('button', { class: `button button--${variant}`, type, text: label, ...props });
}

function profileSection(user) {
  const displayNameField = field({
    name: 'display_name', label: 'Display name', autocomplete: 'nickname', maxlength: 50, value: user.display_name,
    hint: 'The name shown on your channel, videos and comments.',
  });
  const bio = field({
    name: 'bio', label: 'Bio', multiline: true, rows: 4, maxlength: 1000, value: user.bio, optional: true,
    hint: 'Tell viewers about your channel. Up to 1000 characters; line breaks are kept.',
  });
  const username = field({
    name: 'username', label: 'Username', autocomplete: 'username', maxlength: 30, value: user.username,
    autocapitalize: 'none', spellcheck: false, hint: '3–30 characters: letters, digits, and _ . -',
  });
  const email = field({ name: 'email', label: 'E-mail', type: 'email', autocomplete: 'email', value: user.email });
  const currentPassword = field({
    name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password',
    hint: 'Needed to change your username or e-mail.',
  });
  // Asked for only once the username or e-mail is being changed.
  const syncPasswordField = () => {
    currentPassword.element.hidden =
      username.input.value.trim() === user.username && email.input.value.trim() === user.email;
  };
  username.input.addEventListener('input', syncPasswordField);
  email.input.addEventListener('input', syncPasswordField);
  syncPasswordField();

  const alert = formAlert();
  const status = formStatus();
  const submit = button('Save profile');
  const form = h('form', { class: 'form', method: 'post', action: '/settings' },
    alert, displayNameField.element, bio.element, username.element, email.element, currentPassword.element,
    h('div', { class: 'form__actions' }, submit), status);

  const fields = [displayNameField, bio, username, email, currentPassword];
  onSubmit(form, { alert, status, submit, fields }, async () => {
    const changes = {};
    const values = {
      display_name: displayNameField.input.value.trim(),
      bio: bio.input.value,
      username: username.input.value.trim(),
      email: email.input.value.trim(),
    };
    for (const [key, value] of Object.entries(values)) if (value !== user[key]) changes[key] = value;
    if (Object.keys(changes).length === 0) return 'Nothing to save: the profile is as it was.';
    if (('username' in changes || 'email' in changes) && currentPassword.input.value !== '') {
      changes.current_password = currentPassword.input.value;
    }
    const answer = await api('/api/me', { method: 'PATCH', body: changes });
    user = answer.user;
    setUser(user);
    currentPassword.input.value = '';
    syncPasswordField();
    return 'Profile saved.';
  });

  return section('profile', 'Profile', 'How you appear to others on monotube.', form);
}

function avatarSection(initialUser) {
  let user = initialUser;
  let chosenUrl = null;
  const preview = h('div', { class: 'avatar-editor__preview' });
  const file = field({
    name: 'avatar', label: 'Choose a picture', type: 'file', accept: 'image/*',
    hint: 'A square JPEG, PNG, WebP or GIF works best; at most 10 MB.',
  });
  const alert = formAlert();
  const status = formStatus();
  const upload = button('Upload picture');
  const remove = button('Remove picture', { variant: 'outline', type: 'button' });

  const showPreview = () => {
    const shown = chosenUrl ? { ...user, avatar_url: chosenUrl } : user;
    replaceChildren(preview, renderAvatar(shown, { size: 'large', alt: chosenUrl ? 'Preview of the chosen picture' : 'Your current picture' }));
    remove.hidden = !user.avatar_url || Boolean(chosenUrl);
  };
  const forgetChosen = () => {
    if (chosenUrl) URL.revokeObjectURL(chosenUrl);
    chosenUrl = null;
  };

  file.input.addEventListener('change', () => {
    forgetChosen();
    file.clearError();
    showMessage(alert);
    showMessage(status);
    const chosen = file.input.files?.[0];
    if (chosen && chosen.size > maxAvatarBytes) {
      file.setError('That file is larger than 10 MB. Choose a smaller picture.');
      file.input.value = '';
    } else if (chosen && !chosen.type.startsWith('image/')) {
      file.setError('That file is not a picture. Choose a JPEG, PNG, WebP or GIF image.');
      file.input.value = '';
    } else if (chosen) {
      chosenUrl = URL.createObjectURL(chosen);
    }
    showPreview();
  });

  const form = h('form', { class: 'form avatar-editor', method: 'post', action: '/settings' },
    preview,
    h('div', { class: 'avatar-editor__controls' },
      alert, file.element, h('div', { class: 'form__actions' }, upload, remove), status));

  const changed = (answer, message) => {
    user = answer.user;
    setUser(user);
    forgetChosen();
    file.input.value = '';
    showPreview();
    return message;
  };
  onSubmit(form, { alert, status, submit: upload, fields: [file] }, async () => {
    const chosen = file.input.files?.[0];
    if (!chosen) {
      file.setError('Choose a picture first.');
      return null;
    }
    const answer = await api('/api/me/avatar', {
      method: 'PUT', body: chosen, headers: { 'Content-Type': chosen.type || 'application/octet-stream' },
    });
    return changed(answer, 'Your new picture is saved.');
  });
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    showMessage(alert);
    showMessage(status);
    try {
      showMessage(status, changed(await api('/api/me/avatar', { method: 'DELETE' }), 'Your picture was removed.'));
      file.input.focus();
    } catch (error) {
      showMessage(alert, error.message);
    } finally {
      remove.disabled = false;
    }
  });
  showPreview();

  return section('avatar', 'Picture', 'Shown next to your name across the site.', form);
}

function passwordSection(user, onChanged) {
  const current = field({
    name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const next = field({
    name: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true,
    maxlength: 128, hint: '10–128 characters, and not a commonly used password.',
  });
  const alert = formAlert();
  const status = formStatus();
  const submit = button('Change password');
  const form = h('form', { class: 'form', method: 'post', action: '/settings' },
    alert, hiddenUsername(user), current.element, next.element, h('div', { class: 'form__actions' }, submit), status);
  onSubmit(form, { alert, status, submit, fields: [current, next] }, async () => {
    await api('/api/me/password', {
      method: 'POST', body: { current_password: current.input.value, new_password: next.input.value },
    });
    current.input.value = '';
    next.input.value = '';
    onChanged();
    return 'Password changed. You were signed out on your other devices.';
  });
  return section('password', 'Password', 'Changing it signs you out everywhere else.', form);
}

// "Mozilla/5.0 (X11; Linux x86_64) … Chrome/126…" -> "Chrome on Linux"
export function describeDevice(userAgent = '') {
  const browsers = [
    [/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/(Headless)?Chrom(e|ium)\//, 'Chrome'],
    [/Safari\//, 'Safari'], [/^curl\//, 'curl'],
  ];
  const systems = [
    [/Android/, 'Android'], [/iPhone|iPad|iPod/, 'iOS'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'],
    [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux'],
  ];
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? 'Unknown device';
}

function sessionsSection() {
  const list = h('ul', { class: 'session-list', 'aria-busy': 'true' });
  const alert = formAlert();
  const status = formStatus();

  const renderSession = (session) => {
    const details = [
      session.ip_address,
      session.last_seen_at ? `active ${timeAgo(session.last_seen_at)}` : null,
    ].filter(Boolean).join(' · ');
    const item = h('li', { class: 'session' },
      h('div', { class: 'session__text' },
        h('p', { class: 'session__device' },
          describeDevice(session.user_agent),
          session.current ? h('span', { class: 'badge', text: 'This device' }) : null),
        h('p', { class: 'session__details', text: details }),
        h('p', { class: 'session__details', text: `Signed in ${formatDateTime(session.created_at)}` })));
    if (!session.current) {
      const revoke = button('Revoke', {
        variant: 'outline', type: 'button',
        'aria-label': `Revoke the session of ${describeDevice(session.user_agent)}, signed in ${formatDateTime(session.created_at)}`,
      });
      revoke.addEventListener('click', async () => {
        revoke.disabled = true;
        showMessage(alert);
        showMessage(status);
        try {
          await api(`/api/me/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
          const neighbour = item.nextElementSibling ?? item.previousElementSibling;
          item.remove();
          showMessage(status, `Signed out ${describeDevice(session.user_agent)}.`);
          (neighbour?.querySelector('button') ?? list.closest('section')?.querySelector('h2'))?.focus();
        } catch (error) {
          revoke.disabled = false;
          showMessage(alert, error.message);
        }
      });
      item.append(h('div', { class: 'session__actions' }, revoke));
    }
    return item;
  };

  const load = async () => {
    list.setAttribute('aria-busy', 'true');
    try {
      const { sessions } = await api('/api/me/sessions');
      // This device first, then the most recently used.
      sessions.sort((a, b) => (b.current - a.current) || String(b.last_seen_at).localeCompare(String(a.last_seen_at)));
      replaceChildren(list, sessions.map(renderSession));
    } catch (error) {
      showMessage(alert, `Your sessions could not be loaded. ${error.message}`);
    } finally {
      list.removeAttribute('aria-busy');
    }
  };
  load();

  const element = section('sessions', 'Where you’re signed in',
    'Revoke a session you don’t recognise; that device is signed out at once.', alert, list, status);
  element.querySelector('h2').setAttribute('tabindex', '-1');
  return { element, reload: load };
}

function dataSection() {
  return section('data', 'Your data',
    'Download a copy of everything monotube keeps about your account, as a JSON file.',
    h('a', {
      // The server names the file (Content-Disposition); a plain GET carries the cookie.
      class: 'button button--outline', href: '/api/me/export', download: true, text: 'Download my data',
    }));
}

function deleteSection(user) {
  const password = field({
    name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const confirm = checkboxField({
    name: 'confirm', label: 'I understand that my account, channel and everything in it are deleted for good.',
  });
  const alert = formAlert();
  const submit = button('Delete my account', { variant: 'danger' });
  const form = h('form', { class: 'form', method: 'post', action: '/settings' },
    alert, hiddenUsername(user), password.element, confirm.element, h('div', { class: 'form__actions' }, submit));
  onSubmit(form, { alert, submit, fields: [password, confirm] }, async () => {
    if (!confirm.input.checked) {
      confirm.setError('Tick this box to confirm that you want to delete your account.');
      confirm.input.focus();
      return null;
    }
    await api('/api/me', { method: 'DELETE', body: { password: password.input.value } });
    setUser(null);
    setFlash('Your account has been deleted. Thank you for being part of monotube.');
    return navigate('/', { replace: true });
  });
  return section('delete', 'Delete account',
    'This erases your account, profile and data right away. It cannot be undone.', form);
}

export async function render(main) {
  const user = await loadSession();
  if (!user) {
    navigate(loginUrl('/settings'), { replace: true });
    return;
  }

  const sessions = sessionsSection();
  const who = h('p', { class: 'settings__who' });
  const showWho = (someone) => replaceChildren(who,
    'Signed in as ', h('strong', { text: displayName(someone) }), ` (@${someone.username}) · `,
    h('a', { href: channelUrl(someone), text: 'View your channel' }));
  showWho(user);
  onUserChange((someone) => someone && showWho(someone));
  const sections = [
    ['profile', 'Profile'], ['avatar', 'Picture'], ['password', 'Password'], ['sessions', 'Sessions'],
    ['data', 'Your data'], ['delete', 'Delete account'],
  ];
  replaceChildren(main,
    h('div', { class: 'settings' },
      h('header', { class: 'settings__header' },
        h('h1', { class: 'settings__title', text: 'Settings' }),
        who),
      h('nav', { class: 'settings__nav', 'aria-label': 'Settings sections' },
        h('ul', {}, sections.map(([id, label]) => h('li', {}, h('a', { href: `#${id}`, text: label }))))),
      profileSection(user),
      avatarSection(user),
      passwordSection(user, sessions.reload),
      sessions.element,
      dataSection(),
      deleteSection(user)));
  // The sections did not exist when the browser looked for /settings#password.
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}
