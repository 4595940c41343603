// The player's icons, built as SVG DOM (no markup strings) by svgIcon(). 24×24,
// currentColor; play and pause filled, the others stroked.
import { svgIcon } from '../icons.js';

const paths = {
  play: 'M8 5.5v13a1 1 0 0 0 1.5.86l10.2-6.5a1 1 0 0 0 0-1.72L9.5 4.64A1 1 0 0 0 8 5.5z',
  pause: 'M7 5h3.5v14H7zM13.5 5H17v14h-3.5z',
  volume: 'M4 9.5h3.5L12 5.5v13l-4.5-4H4zM15.5 8.5a5 5 0 0 1 0 7M18 6a8.5 8.5 0 0 1 0 12',
  muted: 'M4 9.5h3.5L12 5.5v13l-4.5-4H4zM16 9.5l5 5M21 9.5l-5 5',
  fullscreen: 'M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5',
  exitFullscreen: 'M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5',
  settings: 'M12 15.2a3.2 3.2 0 1 0 0-6.4 3.2 3.2 0 0 0 0 6.4zM19.4 13.5l1.6 1.2-1.8 3.1-1.9-.7a7.4 7.4 0 0 1-1.9 1.1l-.3 2h-3.6l-.3-2a7.4 7.4 0 0 1-1.9-1.1l-1.9.7-1.8-3.1 1.6-1.2a7.6 7.6 0 0 1 0-2.2L3.4 9.8l1.8-3.1 1.9.7A7.4 7.4 0 0 1 9 6.3l.3-2h3.6l.3 2a7.4 7.4 0 0 1 1.9 1.1l1.9-.7 1.8 3.1-1.6 1.2a7.6 7.6 0 0 1 0 2.2z',
  speed: 'M12 20a8 8 0 1 1 8-8M12 12l4-4M4.5 16.5',
  replay: 'M5 12a7 7 0 1 0 2.05-4.95M5 4v4h4',
};

const filled = new Set(['play', 'pause']);

export function icon(name) {
  return svgIcon(paths[name], { className: `player-icon player-icon--${name}`, filled: filled.has(name) });
}
