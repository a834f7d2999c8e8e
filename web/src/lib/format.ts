/** Display helpers: times, day labels, avatar colors. */

function parse(iso: string): Date | null {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** "14:05" (in the reader's locale). */
export function formatTime(iso: string): string {
  const d = parse(iso);
  return d ? timeFmt.format(d) : '';
}

/** The whole date and time, for a tooltip. */
export function formatFull(iso: string): string {
  const d = parse(iso);
  return d ? fullFmt.format(d) : iso;
}

/** A key that is equal for two times on the same local day. */
export function dayKey(iso: string): string {
  const d = parse(iso);
  return d ? `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}` : '';
}

/** "Today", "Yesterday" or the date. */
export function dayLabel(iso: string, now: Date = new Date()): string {
  const d = parse(iso);
  if (!d) return '';
  const startOf = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const days = Math.round((startOf(now) - startOf(d)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return dayFmt.format(d);
}

/** "3 Mar 2026". */
export function formatDate(iso: string): string {
  const d = parse(iso);
  return d ? shortDayFmt.format(d) : '';
}

/** A stable pleasant color per nickname. */
export function avatarHue(nickname: string): number {
  let h = 0;
  for (const ch of nickname) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return h % 360;
}

/** The first letter (a whole code point, so emoji survive) in upper case. */
export function initial(nickname: string): string {
  const first = [...nickname.trim()][0] ?? '?';
  return first.toUpperCase();
}
