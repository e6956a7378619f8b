// Types for TypeScript tests: `import { describeIfPeer, nats } from '../../tests/peers'`.

export type Availability = { ok: true } | { ok: false; reason: string };

/** Every peer module's contract (see tests/peers/README.md). */
export interface PeerModule<StartOpts = Record<string, unknown>, Handle = { stop(): Promise<void> }> {
  prepare(opts?: { log?: (msg: string) => void }): Promise<void>;
  availability(): Availability;
  start(opts?: StartOpts): Promise<Handle>;
}

export type NatsFlavor = 'floor' | 'current';

export interface NatsStartOptions {
  /** Default: the binary chosen for this run ($FILLSCHED_NATS_SERVER, else the floor). */
  flavor?: NatsFlavor;
  /** An explicit binary; overrides flavor. */
  bin?: string;
  port?: number;
  /** Default true. */
  jetstream?: boolean;
  /** Keep JetStream data here (not removed on stop), e.g. to restart a cluster node. */
  storeDir?: string;
  /** Config text appended as is (cluster block, server_name…). */
  extraConfig?: string;
  readyTimeoutMs?: number;
}

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  bin: string;
  child: import('node:child_process').ChildProcess;
  log(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface NatsPeer extends PeerModule<NatsStartOptions, NatsServerHandle> {
  NAME: 'nats';
  FLAVORS: NatsFlavor[];
  /** The env variable the test runner sets to choose the binary of a whole jest pass. */
  SERVER_ENV: 'FILLSCHED_NATS_SERVER';
  /** With a flavour: that one; without: whether any nats-server can run. */
  availability(flavor?: NatsFlavor): Availability;
  /** The binary of a flavour (or the one chosen for this run); throws saying what is missing. */
  natsServerBinary(flavor?: NatsFlavor): string;
  natsServerVersion(bin: string): string | null;
  /** For `npm start`: an existing binary, else builds (Go) or installs (apt) one, logging one line. */
  obtainNatsServer(opts?: { log?: (msg: string) => void }): string;
}

export type PeerName = 'nats' | 'ferretdb' | 'kafka' | 'python' | 'chromium';
export const PEER_NAMES: PeerName[];

/** The peer module, or null when this checkout has no tests/peers/<name>.js. */
export function loadPeer(name: PeerName): PeerModule | null;
export function peerAvailability(name: PeerName): Availability;

/**
 * `describe(title, fn)` when the peer is available; otherwise with CI=true a describe whose single
 * test fails with the reason, elsewhere `describe.skip` after one stderr line naming what is missing.
 */
export function describeIfPeer(peerName: PeerName, title: string, fn: () => void): void;

export const nats: NatsPeer;
export const ferretdb: PeerModule | null;
export const kafka: PeerModule | null;
export const python: PeerModule | null;
export interface ChromiumHandle {
  browser: import('playwright-core').Browser;
  bin: string;
  stop(): Promise<void>;
}
export const chromium: PeerModule<{ headless?: boolean; args?: string[] }, ChromiumHandle> | null;
