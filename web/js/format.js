// format.js: sizes, dates, speeds and durations for people.
import { currentLang } from './i18n.js';

/** formatSize is "1.5 MiB"-style; bytes under 1 KiB stay exact. */
export function formatSize(n) {
  if (!(n >= 0)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

/** formatDate shows a time in the user's language. */
export function formatDate(ms) {
  if (!ms) return '';
  return new Date(ms).toLocaleString(currentLang() === 'ko' ? 'ko-KR' : 'en-GB',
    { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** formatDuration is "1h 5m", "3m 2s" or "12s". */
export function formatDuration(s) {
  if (!isFinite(s) || s < 0) return '–';
  s = Math.round(s);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

/** formatSpeed is bytes per second as "12 MiB/s". */
export function formatSpeed(bps) {
  return formatSize(Math.round(bps)) + '/s';
}
