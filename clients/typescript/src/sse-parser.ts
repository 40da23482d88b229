/** One Server-Sent Event as its fields (undefined when the message did not have the field). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * Splits a Server-Sent Events stream into messages (HTML Living Standard,
 * "Server-sent events"): fields one a line, a blank line ends a message,
 * lines starting with ":" are comments. Chunks may split lines anywhere.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private message: SseMessage = {};

  push(chunk: Uint8Array): SseMessage[] {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    const messages: SseMessage[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\n|\r/)) !== -1) {
      // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
      if (this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + (this.buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (Object.keys(this.message).length > 0) messages.push(this.message);
        this.message = {};
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data')
        this.message.data = this.message.data === undefined ? value : `${this.message.data}\n${value}`;
      else if (field === 'id' || field === 'event') this.message[field] = value;
    }
    return messages;
  }
}
