// Timecode arithmetic for the pages: a port of jobs/timecode.py (frames_to_timecode,
// timecode_to_frames, offset_timecode); tests/web check it against that module frame by frame.
const DROP_RATES = { "30000/1001": 2, "60000/1001": 4 };
const DAY_SECONDS = 86400;

export function nominal(num, den) { return Math.round(num / den); }

function dropPerMinute(num, den, dropFrame) {
  if (!dropFrame) return 0;
  const drop = DROP_RATES[`${num}/${den}`];
  if (!drop) throw new Error(`drop-frame timecode exists only at 29.97 and 59.94, not ${num}/${den}`);
  return drop;
}

const pad = (value, width) => String(value).padStart(width, "0");

export function framesToTimecode(frames, num, den, dropFrame = false) {
  const fps = nominal(num, den);
  const drop = dropPerMinute(num, den, dropFrame);
  const perDay = fps * DAY_SECONDS - drop * (24 * 60 - 24 * 6);
  frames = ((frames % perDay) + perDay) % perDay;
  if (drop) {
    const per10 = fps * 600 - drop * 9, perMin = fps * 60 - drop;
    const tens = Math.floor(frames / per10), rem = frames % per10;
    frames += drop * 9 * tens;
    if (rem >= drop) frames += drop * Math.floor((rem - drop) / perMin);
  }
  const width = fps >= 100 ? 3 : 2;
  const ff = frames % fps, ss = Math.floor(frames / fps) % 60;
  const mm = Math.floor(frames / (fps * 60)) % 60, hh = Math.floor(frames / (fps * 3600)) % 24;
  return `${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}${drop ? ";" : ":"}${pad(ff, width)}`;
}

export function timecodeToFrames(timecode, num, den) {
  const m = /^(\d{2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$/.exec(timecode.trim());
  if (!m) throw new Error(`not a timecode: ${timecode}`);
  const [hh, mm, ss, ff] = [m[1], m[2], m[3], m[5]].map(Number);
  const drop = dropPerMinute(num, den, ";.,".includes(m[4]));
  const minutes = hh * 60 + mm;
  return (hh * 3600 + mm * 60 + ss) * nominal(num, den) + ff - drop * (minutes - Math.floor(minutes / 10));
}

export function offsetTimecode(start, frames, num, den) {
  const dropFrame = /[;.,]\d+$/.test(start.trim());
  return framesToTimecode(timecodeToFrames(start, num, den) + frames, num, den, dropFrame);
}
