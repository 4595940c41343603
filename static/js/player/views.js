// Tells the server what is watched (POST /api/videos/{id}/views): once when playback
// first starts, then a heartbeat after every 15 s of actual playing with the seconds
// played since the last report and the position, and a last report on pause, at the
// end, and when the page is left (with keepalive, so it arrives anyway). Only time spent
// playing counts — not paused, not buffering, not a tab left open — in real seconds.
// The server decides what counts as a view; its answer's `views` goes to onViews(n).
import { reportView } from '../interactions.js';

const heartbeatSeconds = 15;

// Returns {flush()} for the player to send what is left when it is destroyed.
export function trackViews(media, videoId, { signal, onViews = () => {} }) {
  let started = false;
  let played = 0; // seconds played since the last report, up to runningSince
  let runningSince = null; // performance.now() when the current stretch of playing began
  let lastPosition = null;

  const now = () => performance.now();
  const elapsed = () => played + (runningSince === null ? 0 : (now() - runningSince) / 1000);
  const run = () => {
    if (runningSince === null && !media.paused && !media.ended) runningSince = now();
  };
  const hold = () => {
    if (runningSince !== null) played += (now() - runningSince) / 1000;
    runningSince = null;
  };

  const send = (report) => {
    if (Number.isFinite(report.positionSeconds)) lastPosition = report.positionSeconds;
    reportView(videoId, report).then((answer) => {
      const views = Number(answer?.views);
      if (answer?.views !== undefined && answer?.views !== null && Number.isFinite(views)) onViews(views);
    }, (error) => {
      if (error.name !== 'AbortError') console.warn('monotube: the view could not be reported', error);
    });
  };

  // Reports the time played since the last report (if any, or if the position moved).
  const flush = () => {
    if (!started) return;
    const seconds = elapsed();
    const position = media.currentTime;
    const moved = lastPosition === null || Math.abs(position - lastPosition) >= 1;
    if (seconds < 0.25 && !moved) return;
    played = 0;
    if (runningSince !== null) runningSince = now();
    // Always with the watch time (even 0): a report without it is a new play start.
    send({ watchTimeSeconds: seconds, positionSeconds: position });
  };

  media.addEventListener('playing', () => {
    if (!started) {
      started = true;
      send({ positionSeconds: media.currentTime });
    }
    run();
  }, { signal });
  media.addEventListener('waiting', hold, { signal });
  media.addEventListener('pause', () => {
    hold();
    flush();
  }, { signal });
  media.addEventListener('ended', () => {
    hold();
    flush();
  }, { signal });
  media.addEventListener('timeupdate', () => {
    if (elapsed() >= heartbeatSeconds) flush();
  }, { signal });
  window.addEventListener('pagehide', () => {
    hold();
    flush();
  }, { signal });

  return {
    flush() {
      hold();
      flush();
    },
  };
}
