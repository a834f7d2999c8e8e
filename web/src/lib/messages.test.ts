import { describe, expect, it } from 'vitest';
import {
  compareIds,
  dropOlderThan,
  historyLeavesGap,
  mergeMessages,
  normalizeMessage,
  normalizeMessages,
  reachesBack,
  utf8Length,
  type ChatMessage,
} from './messages';

function msg(id: string, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id,
    type: 'message',
    content: `m${id}`,
    room_id: '1',
    nickname: 'ann',
    user_id: '10',
    time_created: '2026-03-01T10:00:00Z',
    ...extra,
  };
}
const ids = (ms: ChatMessage[]) => ms.map((m) => m.id);

describe('compareIds', () => {
  it('compares big decimal ids numerically, not as text', () => {
    expect(compareIds('9', '10')).toBeLessThan(0);
    expect(compareIds('7340032000000000001', '7340032000000000002')).toBeLessThan(0);
    expect(compareIds('123456789012345678901', '99999999999999999999')).toBeGreaterThan(0);
    expect(compareIds('42', '42')).toBe(0);
  });
});

describe('mergeMessages', () => {
  it('orders a history frame (newest first) oldest first', () => {
    expect(ids(mergeMessages([], [msg('3'), msg('2'), msg('1')]))).toEqual(['1', '2', '3']);
  });

  it('appends live messages', () => {
    const a = mergeMessages([], [msg('2'), msg('1')]);
    expect(ids(mergeMessages(a, [msg('3')]))).toEqual(['1', '2', '3']);
  });

  it('drops duplicates, also inside one batch', () => {
    const a = mergeMessages([], [msg('2'), msg('1')]);
    expect(ids(mergeMessages(a, [msg('2'), msg('3'), msg('3'), msg('1')]))).toEqual(['1', '2', '3']);
  });

  it('merges a repeated history frame after a reconnect: only the missed ones are added', () => {
    const before = mergeMessages([], [msg('12'), msg('11'), msg('10')]);
    const after = mergeMessages(before, [msg('14'), msg('13'), msg('12'), msg('11'), msg('10')]);
    expect(ids(after)).toEqual(['10', '11', '12', '13', '14']);
  });

  it('returns the same array when nothing is new (no re-render)', () => {
    const a = mergeMessages([], [msg('2'), msg('1')]);
    expect(mergeMessages(a, [msg('1'), msg('2')])).toBe(a);
    expect(mergeMessages(a, [])).toBe(a);
  });

  it('puts older pages in front and interleaves out-of-order arrivals', () => {
    const a = mergeMessages([], [msg('20'), msg('10')]);
    expect(ids(mergeMessages(a, [msg('9'), msg('5')]))).toEqual(['5', '9', '10', '20']);
    expect(ids(mergeMessages(a, [msg('15')]))).toEqual(['10', '15', '20']);
  });

  it('does not mutate its inputs', () => {
    const a = [msg('1'), msg('3')];
    const inc = [msg('2')];
    mergeMessages(a, inc);
    expect(ids(a)).toEqual(['1', '3']);
    expect(ids(inc)).toEqual(['2']);
  });

  it('orders messages without server ids by time', () => {
    const x = normalizeMessage({ content: 'b', nickname: 'n', time_created: '2026-01-01T00:00:02Z' })!;
    const y = normalizeMessage({ content: 'a', nickname: 'n', time_created: '2026-01-01T00:00:01Z' })!;
    expect(mergeMessages([], [x, y]).map((m) => m.content)).toEqual(['a', 'b']);
    expect(mergeMessages([y, x], [y, x])).toHaveLength(2);
  });
});

describe('gaps after a reconnect', () => {
  const had = mergeMessages([], [msg('12'), msg('11'), msg('10')]);
  it('sees no gap when the history overlaps what we had', () => {
    expect(historyLeavesGap(had, [msg('14'), msg('13'), msg('12')])).toBe(false);
    expect(historyLeavesGap([], [msg('1')])).toBe(false);
    expect(historyLeavesGap(had, [])).toBe(false);
  });
  it('sees a gap when the history starts after our newest', () => {
    expect(historyLeavesGap(had, [msg('30'), msg('29')])).toBe(true);
  });
  it('knows when an older page reaches back to a known id', () => {
    expect(reachesBack([msg('20'), msg('13')], '12')).toBe(false);
    expect(reachesBack([msg('20'), msg('12')], '12')).toBe(true);
    expect(reachesBack([msg('20'), msg('5')], '12')).toBe(true);
  });
  it('drops what is older than a cursor', () => {
    expect(ids(dropOlderThan([msg('1'), msg('5'), msg('9')], '5'))).toEqual(['5', '9']);
  });
});

describe('normalizeMessage', () => {
  it('accepts a full message', () => {
    const raw = {
      id: '99',
      type: 'message',
      content: '<b>hi</b>',
      room_id: '1',
      nickname: 'ann',
      user_id: '10',
      time_created: '2026-03-01T10:00:00.123456Z',
    };
    expect(normalizeMessage(raw)).toEqual(raw);
  });

  it('derives the type from seed-style notices without id/type', () => {
    expect(normalizeMessage({ content: 'joined the room', nickname: 'a' })?.type).toBe('join');
    expect(normalizeMessage({ content: 'left the room', nickname: 'a' })?.type).toBe('leave');
    expect(normalizeMessage({ content: 'hello', nickname: 'a' })?.type).toBe('message');
  });

  it('turns numeric ids into strings', () => {
    expect(normalizeMessage({ id: 5, content: 'x', nickname: 'a', user_id: 3, room_id: 2 })).toMatchObject({
      id: '5',
      user_id: '3',
      room_id: '2',
    });
  });

  it('rejects error frames and garbage', () => {
    expect(normalizeMessage({ type: 'error', message: 'too long' })).toBeNull();
    expect(normalizeMessage(null)).toBeNull();
    expect(normalizeMessage('x')).toBeNull();
    expect(normalizeMessage([1])).toBeNull();
    expect(normalizeMessage({ content: 5, nickname: 'a' })).toBeNull();
    expect(normalizeMessages([{ content: 'ok', nickname: 'a' }, 7, null])).toHaveLength(1);
    expect(normalizeMessages({})).toEqual([]);
  });
});

describe('utf8Length', () => {
  it('counts bytes as the server does', () => {
    expect(utf8Length('abc')).toBe(3);
    expect(utf8Length('é')).toBe(2);
    expect(utf8Length('😀')).toBe(4);
  });
});
