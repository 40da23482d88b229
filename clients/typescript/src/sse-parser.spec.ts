import { SseParser } from './sse-parser';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('SseParser', () => {
  it('reads events, ids and multi-line data, and skips comments', () => {
    const parser = new SseParser();
    expect(parser.push(bytes('retry: 1000\n: watching\n\nid: 1\nevent: put\ndata: {"a":\ndata: 1}\n\n'))).toEqual([
      { id: '1', event: 'put', data: '{"a":\n1}' },
    ]);
    // a heartbeat: a comment and an id, no event
    expect(parser.push(bytes(': heartbeat\nid: 2\n\n'))).toEqual([{ id: '2' }]);
  });

  it('puts together lines and characters split across chunks, and any line ending', () => {
    const parser = new SseParser();
    const text = bytes('id: 3\r\nevent: delete\r\ndata: {"key":"é"}\r\n\r\n');
    const messages = [];
    for (let index = 0; index < text.length; index++) messages.push(...parser.push(text.subarray(index, index + 1)));
    expect(messages).toEqual([{ id: '3', event: 'delete', data: '{"key":"é"}' }]);
  });
});
