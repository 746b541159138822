import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { downstreamFileName, tokenFileName } from './audience-names.js';
import type { DownstreamToken, Svids } from './issuer-client.js';

/** spiffe-helper's file names, as the Java client writes them. */
export const SVID_FILE = 'svid.pem';
export const KEY_FILE = 'svid_key.pem';
export const BUNDLE_FILE = 'bundle.pem';
export const DEFAULT_JWT_FILE = 'jwt_svid.token';
/** Same name and fields as `taskbound begin`, so `taskbound renew|end` also work on a directory the action made. */
export const STATE_FILE = '.taskbound-state.json';
/**
 * The action's own record of its downstream tokens — audiences and lifetimes, never a token — so a resumed session
 * (the detached renewer) refreshes them at half-life. Apart from STATE_FILE, which stays `taskbound begin`'s format.
 */
export const DOWNSTREAM_STATE_FILE = '.taskbound-downstream.json';

/** A downstream token without its secret. */
export type DownstreamLifetime = Omit<DownstreamToken, 'token'>;

/** What renew and end need later; it holds the control token, so it lives and dies with the credentials. */
export interface TaskState {
  issuer_url: string;
  task_id: string;
  spiffe_id: string;
  control_token: string;
  audiences: string[];
  end_retry_seconds: number;
}

/**
 * The step's private directory: 0700, every file 0600 and replaced atomically (temp file + rename), so a reader
 * never sees half a credential.
 */
export class CredentialDirectory {
  private constructor(readonly path: string) {}

  static create(parent: string): CredentialDirectory {
    const path = mkdtempSync(join(parent, 'taskbound-'));
    chmodSync(path, 0o700);
    return new CredentialDirectory(path);
  }

  /** A directory made earlier (maybe already wiped); refused when it exists and others can enter it. */
  static fromPath(path: string): CredentialDirectory {
    if (existsSync(path)) {
      const mode = statSync(path).mode & 0o777;
      if (mode !== 0o700) {
        throw new Error(`credential directory ${path} has mode ${mode.toString(8)}, expected 700`);
      }
    }
    return new CredentialDirectory(path);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** Writes (or rewrites, on renewal) every credential file; the key is written once, at begin. */
  writeSvids(svids: Svids, audiences: readonly string[]): void {
    this.writeAtomically(SVID_FILE, svids.x509_svid_chain_pem);
    this.writeAtomically(BUNDLE_FILE, svids.bundle_pem);
    for (const jwt of svids.jwt_svids) {
      this.writeAtomically(tokenFileName(jwt.audience), jwt.token);
      if (jwt.audience === audiences[0]) {
        this.writeAtomically(DEFAULT_JWT_FILE, jwt.token);
      }
    }
  }

  /** Writes (or rewrites, on refresh) `downstream.<audience>.token` for each token. */
  writeDownstream(tokens: readonly DownstreamToken[]): void {
    for (const t of tokens) {
      this.writeAtomically(downstreamFileName(t.audience), t.token);
    }
  }

  downstreamFile(audience: string): string {
    return this.file(downstreamFileName(audience));
  }

  writeDownstreamLifetimes(lifetimes: readonly DownstreamLifetime[]): void {
    this.writeAtomically(DOWNSTREAM_STATE_FILE, JSON.stringify(lifetimes));
  }

  readDownstreamLifetimes(): DownstreamLifetime[] {
    try {
      return JSON.parse(readFileSync(this.file(DOWNSTREAM_STATE_FILE), 'utf8')) as DownstreamLifetime[];
    } catch {
      return [];
    }
  }

  writePrivateKey(pem: string): void {
    this.writeAtomically(KEY_FILE, pem);
  }

  /** audience → token file path, in request order, for the audiences the issuer minted. */
  tokenFiles(svids: Svids, audiences: readonly string[]): Map<string, string> {
    const minted = new Set(svids.jwt_svids.map((j) => j.audience));
    return new Map(audiences.filter((a) => minted.has(a)).map((a) => [a, this.file(tokenFileName(a))]));
  }

  writeState(state: TaskState): void {
    this.writeAtomically(STATE_FILE, JSON.stringify(state));
  }

  readState(): TaskState | null {
    try {
      return JSON.parse(readFileSync(this.file(STATE_FILE), 'utf8')) as TaskState;
    } catch {
      return null;
    }
  }

  /** Every JWT-SVID and downstream token the directory holds now (`*.token`), for masking. */
  currentTokens(): string[] {
    try {
      return readdirSync(this.path)
        .filter((n) => n.endsWith('.token') && !n.startsWith('.'))
        .map((n) => readFileSync(this.file(n), 'utf8').trim())
        .filter((t) => t !== '');
    } catch {
      return [];
    }
  }

  file(name: string): string {
    return join(this.path, name);
  }

  writeAtomically(name: string, content: string): void {
    const temp = this.file(`.${name}.${randomBytes(6).toString('hex')}.tmp`);
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, this.file(name));
  }

  /** Deletes the directory and everything in it. Overwriting first buys nothing on journaling file systems. */
  wipe(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
