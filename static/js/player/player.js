// The video player: a <video> driven by hls.js (vendored, /vendor/hls.js) or by the
// browser's own HLS support (Safari without Media Source Extensions), with custom
// controls — play/pause, a seek bar with the buffered range and preview thumbnails,
// time, volume and mute, playback speed, quality (Auto + every rendition), fullscreen —
// keyboard shortcuts, the viewer's position (the server's for signed-in viewers, else
// kept per video in localStorage), and the views and watch time reported (views.js).
//
// Keyboard (anywhere on the page but in text fields): space/k play-pause, j/l ±10 s,
// ←/→ ±5 s, ↑/↓ volume, m mute, f fullscreen, 0–9 jump to 0–90 %, Home/End.
//
// The page's Content-Security-Policy allows workers from 'self' only (no blob:), so
// hls.js runs its transmuxer in the vendored worker file given as workerPath.
import { h, replaceChildren } from '../dom.js';
import { formatDuration } from '../format.js';
import { icon } from './icons.js';
import { findCue, loadPreviews } from './previews.js';
import { trackViews } from './views.js';

const hlsModule = '/vendor/hls.js/hls.min.mjs';
const hlsWorker = '/vendor/hls.js/hls.worker.js';
const speeds = [0.5, 0.75, 1, 1.25, 1.5, 2];
const volumeKey = 'monotube:volume';
const positionKey = (id) => `monotube:position:${id}`;

function readJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

function writeJson(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage may be full or disabled: the player works without it.
  }
}

// Positions worth coming back to: past the first seconds and not in the last part.
function resumable(time, duration) {
  if (!Number.isFinite(time) || time < 2) return false;
  if (!Number.isFinite(duration) || duration <= 0) return true;
  return time < duration - Math.min(10, duration * 0.1);
}

export function savedPosition(videoId, duration) {
  const saved = readJson(positionKey(videoId));
  const time = Number(saved?.time);
  return resumable(time, duration) ? time : null;
}

// Where to start: a signed-in viewer's position as the server keeps it (any device);
// this browser's own when the server has none worth resuming (its last report may still
// be on the way), and for visitors (serverPosition undefined).
function startPosition(videoId, duration, serverPosition) {
  if (serverPosition !== undefined && serverPosition !== null) {
    const time = Number(serverPosition);
    if (resumable(time, duration)) return time;
  }
  return savedPosition(videoId, duration);
}

function isTypingTarget(element) {
  if (!element) return false;
  if (element.isContentEditable || element.tagName === 'TEXTAREA' || element.tagName === 'SELECT') return true;
  return element.tagName === 'INPUT' && element.type !== 'range' && element.type !== 'checkbox' && element.type !== 'button';
}

// A menu button (WAI-ARIA menu button pattern) with radio items.
function radioMenu({ label, testid, optionTestid, className, onSelect }) {
  const button = h('button', {
    class: `player__button player__menu-button ${className}`, type: 'button', 'aria-haspopup': 'menu',
    'aria-expanded': 'false', dataset: { testid: `${testid}-button` },
  });
  const list = h('div', { class: 'player__menu', role: 'menu', 'aria-label': label, hidden: true, dataset: { testid: `${testid}-menu` } });
  let options = [];
  const items = () => Array.from(list.querySelectorAll('[role="menuitemradio"]'));
  const isOpen = () => !list.hidden;
  const focusItem = (index) => {
    const all = items();
    all[(index + all.length) % all.length]?.focus();
  };
  const close = (returnFocus = true) => {
    if (!isOpen()) return;
    list.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (returnFocus) button.focus();
  };
  const open = () => {
    list.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    const all = items();
    const checked = all.findIndex((item) => item.getAttribute('aria-checked') === 'true');
    focusItem(Math.max(0, checked));
  };
  button.addEventListener('click', () => (isOpen() ? close() : open()));
  list.addEventListener('keydown', (event) => {
    const all = items();
    const index = all.indexOf(document.activeElement);
    const moves = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: -1 };
    if (event.key in moves) {
      event.preventDefault();
      focusItem(moves[event.key]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab') {
      close(false);
    }
    event.stopPropagation();
  });
  return {
    button,
    list,
    isOpen,
    close,
    contains: (node) => button.contains(node) || list.contains(node),
    // options: [{value, label, checked}]
    setOptions(next) {
      options = next;
      replaceChildren(list, options.map((option) => h('button', {
        class: 'player__menu-item', type: 'button', role: 'menuitemradio', tabindex: '-1',
        'aria-checked': option.checked ? 'true' : 'false', dataset: { testid: optionTestid, value: String(option.value) },
        text: option.label,
        on: {
          click: () => {
            close();
            onSelect(option.value);
          },
        },
      })));
    },
    setChecked(value) {
      for (const item of items()) item.setAttribute('aria-checked', item.dataset.value === String(value) ? 'true' : 'false');
    },
    setLabel(text, ariaLabel) {
      button.textContent = text;
      button.setAttribute('aria-label', ariaLabel);
    },
  };
}

// video: the API's video object (ready, with hls_url). resumePosition: the server's
// position for a signed-in viewer (seconds or null), undefined for a visitor.
// onViews(n): the view count the server answered a view report with.
// Returns {element, media, destroy()}.
export function createPlayer(video, { autoplay = true, resumePosition, onViews } = {}) {
  const lifetime = new AbortController();
  const { signal } = lifetime;
  let hls = null;
  let previews = [];
  let duration = Number(video.duration) || 0;
  let scrubbing = false;
  let idleTimer = null;
  let lastSaved = 0;

  // ---------- elements ----------
  const media = h('video', {
    class: 'player__video', preload: 'metadata', playsinline: true, 'webkit-playsinline': true,
    poster: video.thumbnail_url || undefined, dataset: { testid: 'video' },
  });
  const bigPlay = h('button', {
    class: 'player__big-play', type: 'button', 'aria-label': 'Play', dataset: { testid: 'big-play-button' },
  }, icon('play'));
  const spinner = h('div', { class: 'player__spinner', hidden: true, 'aria-hidden': 'true' });
  const errorBox = h('div', { class: 'player__error', role: 'alert', hidden: true, dataset: { testid: 'player-error' } });
  const notice = h('div', { class: 'player__notice', hidden: true, role: 'status', dataset: { testid: 'resume-notice' } });

  const buffered = h('div', { class: 'player__buffered', dataset: { testid: 'buffered' } });
  const played = h('div', { class: 'player__played' });
  const handle = h('div', { class: 'player__handle' });
  const previewImage = h('div', { class: 'player__preview-image', hidden: true });
  const previewTime = h('span', { class: 'player__preview-time' });
  const preview = h('div', { class: 'player__preview', hidden: true, 'aria-hidden': 'true', dataset: { testid: 'seek-preview' } },
    previewImage, previewTime);
  const seek = h('div', {
    class: 'player__seek', role: 'slider', tabindex: '0', 'aria-label': 'Seek', 'aria-valuemin': '0',
    'aria-valuemax': String(Math.round(duration)), 'aria-valuenow': '0', dataset: { testid: 'seek-bar' },
  }, h('div', { class: 'player__track' }, buffered, played), handle, preview);

  const playButton = h('button', { class: 'player__button', type: 'button', dataset: { testid: 'play-button' } });
  const muteButton = h('button', { class: 'player__button', type: 'button', dataset: { testid: 'mute-button' } });
  const volume = h('input', {
    class: 'player__volume', type: 'range', min: '0', max: '1', step: '0.05', 'aria-label': 'Volume',
    dataset: { testid: 'volume' },
  });
  const time = h('span', { class: 'player__time', dataset: { testid: 'time' } });
  const speedMenu = radioMenu({
    label: 'Playback speed', testid: 'speed', optionTestid: 'speed-option', className: 'player__speed',
    onSelect: (rate) => {
      media.playbackRate = Number(rate);
    },
  });
  const qualityMenu = radioMenu({
    label: 'Quality', testid: 'quality', optionTestid: 'quality-option', className: 'player__quality',
    onSelect: (level) => selectLevel(Number(level)),
  });
  const fullscreenButton = h('button', { class: 'player__button', type: 'button', dataset: { testid: 'fullscreen-button' } });

  const controls = h('div', { class: 'player__controls' },
    seek,
    h('div', { class: 'player__bar' },
      playButton,
      h('div', { class: 'player__volume-group' }, muteButton, volume),
      time,
      h('div', { class: 'player__spacer' }),
      h('div', { class: 'player__menu-group' }, speedMenu.button, speedMenu.list),
      h('div', { class: 'player__menu-group' }, qualityMenu.button, qualityMenu.list),
      fullscreenButton));

  const element = h('div', {
    class: 'player player--paused player--unstarted', role: 'region', 'aria-label': `Video player: ${video.title}`,
    dataset: { testid: 'player', videoId: video.id },
  }, media, bigPlay, spinner, notice, errorBox, controls);
  if (video.width > 0 && video.height > 0) element.style.setProperty('--player-aspect', `${video.width} / ${video.height}`);

  // ---------- state shown ----------
  const currentDuration = () => (Number.isFinite(media.duration) && media.duration > 0 ? media.duration : duration);

  const showPlayState = () => {
    const paused = media.paused || media.ended;
    element.classList.toggle('player--paused', paused);
    replaceChildren(playButton, icon(paused ? 'play' : 'pause'));
    playButton.setAttribute('aria-label', paused ? 'Play (k)' : 'Pause (k)');
    bigPlay.hidden = !paused || scrubbing;
  };

  const showTime = (at = media.currentTime) => {
    const total = currentDuration();
    const fraction = total > 0 ? Math.min(1, Math.max(0, at / total)) : 0;
    played.style.width = `${fraction * 100}%`;
    handle.style.left = `${fraction * 100}%`;
    time.textContent = `${formatDuration(at)} / ${formatDuration(total)}`;
    seek.setAttribute('aria-valuemax', String(Math.round(total)));
    seek.setAttribute('aria-valuenow', String(Math.round(at)));
    seek.setAttribute('aria-valuetext', `${formatDuration(at)} of ${formatDuration(total)}`);
  };

  const showBuffered = () => {
    const total = currentDuration();
    let end = 0;
    let start = 0;
    for (let i = 0; i < media.buffered.length; i += 1) {
      if (media.buffered.start(i) <= media.currentTime + 0.5 && media.buffered.end(i) >= media.currentTime) {
        start = media.buffered.start(i);
        end = media.buffered.end(i);
      }
    }
    buffered.style.left = total > 0 ? `${(start / total) * 100}%` : '0';
    buffered.style.width = total > 0 ? `${(Math.max(0, end - start) / total) * 100}%` : '0';
  };

  const showVolume = () => {
    const muted = media.muted || media.volume === 0;
    replaceChildren(muteButton, icon(muted ? 'muted' : 'volume'));
    muteButton.setAttribute('aria-label', muted ? 'Unmute (m)' : 'Mute (m)');
    volume.value = String(media.muted ? 0 : media.volume);
    volume.setAttribute('aria-valuetext', `${Math.round((media.muted ? 0 : media.volume) * 100)} %`);
  };

  const showFullscreen = () => {
    const on = document.fullscreenElement === element;
    element.classList.toggle('player--fullscreen', on);
    replaceChildren(fullscreenButton, icon(on ? 'exitFullscreen' : 'fullscreen'));
    fullscreenButton.setAttribute('aria-label', on ? 'Exit full screen (f)' : 'Full screen (f)');
  };

  const showSpeed = () => {
    const rate = media.playbackRate;
    speedMenu.setLabel(`${rate}×`, `Playback speed ${rate}×`);
    speedMenu.setChecked(rate);
  };

  let showNoticeTimer = null;
  const showNotice = (...children) => {
    replaceChildren(notice, ...children);
    notice.hidden = false;
    clearTimeout(showNoticeTimer);
    showNoticeTimer = setTimeout(() => {
      notice.hidden = true;
    }, 8000);
  };

  const showError = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = false;
    spinner.hidden = true;
  };

  // ---------- actions ----------
  const play = () => {
    const attempt = media.play();
    attempt?.catch((error) => {
      // Autoplay refused (no interaction yet) or interrupted by a pause: the big play
      // button is there to start it.
      if (error.name !== 'NotAllowedError' && error.name !== 'AbortError') showError('This video could not be played.');
      showPlayState();
    });
  };
  const togglePlay = () => (media.paused || media.ended ? play() : media.pause());
  const seekTo = (target) => {
    const total = currentDuration();
    const clamped = Math.max(0, total > 0 ? Math.min(target, total - 0.05) : target);
    media.currentTime = clamped;
    showTime(clamped);
  };
  const seekBy = (delta) => seekTo(media.currentTime + delta);
  const setVolume = (value) => {
    media.volume = Math.max(0, Math.min(1, Math.round(value * 100) / 100));
    media.muted = media.volume === 0;
  };
  const toggleMute = () => {
    if (media.muted && media.volume === 0) media.volume = 0.5;
    media.muted = !media.muted;
  };
  const toggleFullscreen = () => {
    if (document.fullscreenElement) {
      document.exitFullscreen?.().catch(() => {});
    } else if (element.requestFullscreen) {
      element.requestFullscreen().catch(() => {});
    } else if (media.webkitEnterFullscreen) {
      media.webkitEnterFullscreen(); // iPhone: only the video element itself can go full screen
    }
  };

  // ---------- quality ----------
  const renditionName = (level) => {
    const match = (video.renditions ?? []).find((r) => r.height === level.height && (!r.width || !level.width || r.width === level.width)) ??
      (video.renditions ?? []).find((r) => r.height === level.height);
    return match?.name ?? (level.height ? `${level.height}p` : `${Math.round((level.bitrate ?? 0) / 1000)} kbps`);
  };
  // hls.manualLevel is the viewer's choice (-1 = Auto); hls.currentLevel is the level
  // playing now, which Auto shows in brackets.
  function levelOptions() {
    if (!hls) return [{ value: -1, label: 'Auto', checked: true }];
    const chosen = hls.manualLevel;
    const playing = hls.levels[hls.currentLevel] ?? null;
    const options = hls.levels
      .map((level, index) => ({ value: index, label: renditionName(level), height: level.height ?? 0, bitrate: level.bitrate ?? 0 }))
      .sort((a, b) => b.height - a.height || b.bitrate - a.bitrate)
      .map((option) => ({ ...option, checked: option.value === chosen }));
    return [{ value: -1, label: playing ? `Auto (${renditionName(playing)})` : 'Auto', checked: chosen === -1 }, ...options];
  }
  function showQuality() {
    const options = levelOptions();
    qualityMenu.setOptions(options);
    const chosen = options.find((option) => option.checked) ?? options[0];
    const playing = hls?.levels[hls.currentLevel];
    const label = chosen.value === -1 ? (playing ? `Auto · ${renditionName(playing)}` : 'Auto') : chosen.label;
    qualityMenu.setLabel(label, `Quality: ${label}`);
    qualityMenu.button.disabled = !hls || hls.levels.length < 2;
  }
  function selectLevel(index) {
    if (!hls) return;
    // currentLevel switches at once (flushing what was buffered at the old quality);
    // -1 hands the choice back to the bandwidth estimate.
    hls.currentLevel = index;
    showQuality();
  }

  // ---------- previews ----------
  const showPreview = (clientX) => {
    const rect = seek.getBoundingClientRect();
    const total = currentDuration();
    if (rect.width <= 0 || total <= 0) return;
    const fraction = Math.min(1, Math.max(0, (clientX - rect.left) / rect.width));
    const at = fraction * total;
    previewTime.textContent = formatDuration(at);
    const cue = previews.length > 0 ? findCue(previews, at) : null;
    if (cue && cue.width > 0) {
      previewImage.hidden = false;
      previewImage.style.width = `${cue.width}px`;
      previewImage.style.height = `${cue.height}px`;
      previewImage.style.backgroundImage = `url("${cue.url.replace(/["\\]/g, '\\$&')}")`;
      previewImage.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
      previewImage.dataset.cue = `${cue.start}`;
    } else {
      previewImage.hidden = true;
    }
    preview.hidden = false;
    const width = preview.offsetWidth;
    const left = Math.min(Math.max(fraction * rect.width, width / 2), rect.width - width / 2);
    preview.style.left = `${left}px`;
  };
  const hidePreview = () => {
    preview.hidden = true;
  };

  const timeAt = (clientX) => {
    const rect = seek.getBoundingClientRect();
    return Math.min(1, Math.max(0, (clientX - rect.left) / rect.width)) * currentDuration();
  };
  seek.addEventListener('pointermove', (event) => {
    showPreview(event.clientX);
    if (scrubbing) showTime(timeAt(event.clientX));
  });
  // The sprites are fetched once the pointer first comes near the seek bar.
  let spritesWarm = false;
  seek.addEventListener('pointerenter', () => {
    if (spritesWarm || previews.length === 0) return;
    spritesWarm = true;
    for (const url of new Set(previews.map((cue) => cue.url.replace(/#.*$/, '')))) {
      const image = new Image();
      image.decoding = 'async';
      image.src = url;
    }
  });
  seek.addEventListener('pointerleave', () => {
    if (!scrubbing) hidePreview();
  });
  seek.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    scrubbing = true;
    seek.setPointerCapture(event.pointerId);
    element.classList.add('player--scrubbing');
    showTime(timeAt(event.clientX));
    showPreview(event.clientX);
  });
  const endScrub = (event) => {
    if (!scrubbing) return;
    scrubbing = false;
    element.classList.remove('player--scrubbing');
    seekTo(timeAt(event.clientX));
    if (event.pointerType !== 'mouse') hidePreview();
  };
  seek.addEventListener('pointerup', endScrub);
  seek.addEventListener('pointercancel', endScrub);
  seek.addEventListener('keydown', (event) => {
    const total = currentDuration();
    const moves = { Home: 0, End: total, PageUp: media.currentTime + total / 10, PageDown: media.currentTime - total / 10 };
    if (event.key in moves) {
      event.preventDefault();
      event.stopPropagation();
      seekTo(moves[event.key]);
    }
  });

  // ---------- wiring ----------
  playButton.addEventListener('click', togglePlay);
  bigPlay.addEventListener('click', play);
  media.addEventListener('click', togglePlay);
  media.addEventListener('dblclick', toggleFullscreen);
  muteButton.addEventListener('click', toggleMute);
  volume.addEventListener('input', () => setVolume(Number(volume.value)));
  fullscreenButton.addEventListener('click', toggleFullscreen);
  document.addEventListener('fullscreenchange', showFullscreen, { signal });

  media.addEventListener('play', () => {
    element.classList.remove('player--unstarted');
    errorBox.hidden = true;
    showPlayState();
  });
  media.addEventListener('pause', () => {
    showPlayState();
    savePosition(true);
    wake();
  });
  media.addEventListener('ended', () => {
    showPlayState();
    writeJson(positionKey(video.id), null);
    wake();
  });
  media.addEventListener('waiting', () => {
    spinner.hidden = false;
  });
  for (const type of ['playing', 'canplay', 'seeked']) media.addEventListener(type, () => {
    spinner.hidden = true;
  });
  media.addEventListener('timeupdate', () => {
    if (!scrubbing) showTime();
    showBuffered();
    savePosition(false);
  });
  media.addEventListener('progress', showBuffered);
  media.addEventListener('durationchange', () => showTime());
  media.addEventListener('loadedmetadata', () => showTime());
  media.addEventListener('volumechange', () => {
    showVolume();
    writeJson(volumeKey, { volume: media.volume, muted: media.muted });
  });
  media.addEventListener('ratechange', showSpeed);
  media.addEventListener('error', () => {
    if (!hls) showError('This video could not be played in this browser.');
  });

  function savePosition(force) {
    const now = Date.now();
    if (!force && now - lastSaved < 3000) return;
    lastSaved = now;
    const at = media.currentTime;
    const total = currentDuration();
    if (media.ended || (total > 0 && !resumable(at, total) && at >= 2)) writeJson(positionKey(video.id), null);
    else if (resumable(at, total)) writeJson(positionKey(video.id), { time: Math.round(at * 10) / 10, saved_at: new Date().toISOString() });
  }
  window.addEventListener('pagehide', () => savePosition(true), { signal });

  // Controls fade out while playing and nothing is being done with them.
  function wake() {
    element.classList.remove('player--idle');
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      const busy = media.paused || scrubbing || qualityMenu.isOpen() || speedMenu.isOpen() || controls.contains(document.activeElement);
      if (!busy) element.classList.add('player--idle');
    }, 2500);
  }
  element.addEventListener('pointermove', wake);
  element.addEventListener('focusin', wake);

  document.addEventListener('click', (event) => {
    if (!qualityMenu.contains(event.target)) qualityMenu.close(false);
    if (!speedMenu.contains(event.target)) speedMenu.close(false);
  }, { signal });

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (isTypingTarget(target) || target?.closest?.('[role="menu"], dialog')) return;
    const onControl = target?.closest?.('button, a, summary, [role="button"]');
    const onVolume = target === volume;
    const key = event.key;
    const total = currentDuration();
    let handled = true;
    if (key === ' ' || key === 'Spacebar') {
      if (onControl) return; // the focused button takes the space itself
      togglePlay();
    } else if (key === 'k' || key === 'K') {
      togglePlay();
    } else if (key === 'j' || key === 'J') {
      seekBy(-10);
    } else if (key === 'l' || key === 'L') {
      seekBy(10);
    } else if (key === 'ArrowLeft' && !onVolume) {
      seekBy(-5);
    } else if (key === 'ArrowRight' && !onVolume) {
      seekBy(5);
    } else if (key === 'ArrowUp' && !onVolume) {
      setVolume((media.muted ? 0 : media.volume) + 0.05);
    } else if (key === 'ArrowDown' && !onVolume) {
      setVolume((media.muted ? 0 : media.volume) - 0.05);
    } else if (key === 'm' || key === 'M') {
      toggleMute();
    } else if (key === 'f' || key === 'F') {
      toggleFullscreen();
    } else if (/^[0-9]$/.test(key) && total > 0) {
      seekTo((Number(key) / 10) * total);
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
      wake();
    }
  }, { signal });

  // ---------- start ----------
  const stored = readJson(volumeKey);
  if (stored && Number.isFinite(Number(stored.volume))) {
    media.volume = Math.max(0, Math.min(1, Number(stored.volume)));
    media.muted = Boolean(stored.muted);
  }
  speedMenu.setOptions(speeds.map((rate) => ({ value: rate, label: rate === 1 ? 'Normal' : `${rate}×`, checked: rate === 1 })));
  showPlayState();
  showTime(0);
  showVolume();
  showSpeed();
  showFullscreen();
  showQuality();

  const views = trackViews(media, video.id, { signal, onViews });
  const resumeAt = startPosition(video.id, duration, resumePosition);
  const offerStartOver = () => {
    if (resumeAt === null) return;
    showNotice(
      h('span', { text: `Resumed at ${formatDuration(resumeAt)}` }),
      h('button', {
        class: 'player__notice-button', type: 'button', text: 'Start over',
        on: {
          click: () => {
            notice.hidden = true;
            seekTo(0);
            play();
          },
        },
      }));
  };

  async function attach() {
    let Hls = null;
    try {
      Hls = (await import(hlsModule)).default;
    } catch (error) {
      console.warn('monotube: hls.js could not be loaded', error);
    }
    if (signal.aborted) return;
    if (Hls?.isSupported()) {
      hls = new Hls({
        workerPath: hlsWorker,
        startPosition: resumeAt ?? -1,
        capLevelToPlayerSize: true,
        backBufferLength: 60,
      });
      window.__monotubePlayer = { hls, video: media };
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        showQuality();
        if (autoplay) play();
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, showQuality);
      hls.on(Hls.Events.LEVELS_UPDATED, showQuality);
      let mediaRecoveries = 0;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < 2) {
          mediaRecoveries += 1;
          hls.recoverMediaError();
        } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.details !== Hls.ErrorDetails.MANIFEST_LOAD_ERROR) {
          showError('The connection was lost. Trying again…');
          setTimeout(() => {
            if (!signal.aborted) {
              errorBox.hidden = true;
              hls.startLoad();
            }
          }, 3000);
        } else {
          showError('This video could not be played. Reload the page to try again.');
          hls.destroy();
          hls = null;
        }
      });
      hls.loadSource(video.hls_url);
      hls.attachMedia(media);
    } else if (media.canPlayType('application/vnd.apple.mpegurl')) {
      window.__monotubePlayer = { hls: null, video: media };
      media.src = video.hls_url;
      if (resumeAt !== null) {
        media.addEventListener('loadedmetadata', () => {
          media.currentTime = resumeAt;
        }, { once: true });
      }
      if (autoplay) play();
    } else {
      showError('This browser cannot play this video. Try a current version of Firefox, Chrome, Edge or Safari.');
      return;
    }
    offerStartOver();
  }
  attach();

  if (video.previews_url) {
    loadPreviews(video.previews_url, { signal }).then((cues) => {
      previews = cues;
    }, (error) => {
      if (error.name !== 'AbortError') console.warn('monotube: no seek previews', error);
    });
  }

  return {
    element,
    media,
    destroy() {
      savePosition(true);
      views.flush();
      lifetime.abort();
      clearTimeout(idleTimer);
      clearTimeout(showNoticeTimer);
      hls?.destroy();
      hls = null;
      if (window.__monotubePlayer?.video === media) delete window.__monotubePlayer;
    },
  };
}
