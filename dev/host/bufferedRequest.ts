/**
 * The fetch `Request` behind each `HttpRequest` the local host hands a function. The host has already read the
 * body (and refused it over the cap), so `text`, `json` and `arrayBuffer` answer from that buffer, and the headers
 * are built on first use. Anything else (`body` as a stream, `blob`, `formData`, `clone`) comes from a real
 * `Request`, made only when asked for. A body is read once, as with fetch: a second read is a `TypeError`.
 *
 * `@azure/functions` builds its `HttpRequest` over a given native request the way its own HTTP-streaming path does
 * (`nativeRequest`); without one it would copy the buffer into a new `Request` and read it back through a stream.
 */
const utf8Bom = [0xef, 0xbb, 0xbf] as const;

export class BufferedRequest {
  readonly #headerInit: Record<string, string>;
  readonly #bytes: Buffer;
  #headers: Headers | undefined;
  #full: Request | undefined;
  #used = false;

  constructor(
    readonly url: string,
    readonly method: string,
    headers: Record<string, string>,
    bytes: Buffer,
  ) {
    this.#headerInit = headers;
    this.#bytes = bytes;
  }

  get headers(): Headers {
    return (this.#headers ??= new Headers(this.#headerInit));
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#request().body;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#full?.bodyUsed ?? false);
  }

  text(): Promise<string> {
    return this.#read(() => {
      const bytes = this.#bytes;
      // UTF-8 decoding as fetch does it: a leading byte order mark is dropped.
      const bom = bytes.length >= 3 && bytes[0] === utf8Bom[0] && bytes[1] === utf8Bom[1] && bytes[2] === utf8Bom[2];
      return bytes.toString('utf8', bom ? 3 : 0);
    });
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read(() => {
      const copy = new ArrayBuffer(this.#bytes.length);
      new Uint8Array(copy).set(this.#bytes);
      return copy;
    });
  }

  blob(): Promise<Blob> {
    return this.#delegate((request) => request.blob());
  }

  formData(): Promise<FormData> {
    return this.#delegate((request) => request.formData());
  }

  clone(): Request {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    return this.#request().clone();
  }

  #read<T>(value: () => T): Promise<T> {
    if (this.bodyUsed) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return Promise.resolve(value());
  }

  #delegate<T>(read: (request: Request) => Promise<T>): Promise<T> {
    if (this.bodyUsed) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return read(this.#request());
  }

  #request(): Request {
    const bodyAllowed = this.method !== 'GET' && this.method !== 'HEAD';
    return (this.#full ??= new Request(this.url, {
      method: this.method,
      headers: this.headers,
      ...(bodyAllowed && this.#bytes.length > 0 ? { body: this.#bytes } : {}),
    }));
  }
}
