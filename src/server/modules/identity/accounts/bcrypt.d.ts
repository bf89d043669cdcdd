// bcrypt@6 ships no type declarations; these cover the promise API Vigil uses.
declare module 'bcrypt' {
  /** Hashes on libuv's thread pool; `rounds` is the cost (log2 of the iterations). */
  export function hash(data: string | Buffer, rounds: number): Promise<string>;
  export function compare(data: string | Buffer, encrypted: string): Promise<boolean>;
  /** The cost a hash was made with. */
  export function getRounds(encrypted: string): number;
  const bcrypt: {
    hash: typeof hash;
    compare: typeof compare;
    getRounds: typeof getRounds;
  };
  export default bcrypt;
}
