/** A verification step that did not hold; its message is the verdict's reason. */
export class AttestationFailure extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'AttestationFailure';
  }
}

export function fail(reason: string): never {
  throw new AttestationFailure(reason);
}
