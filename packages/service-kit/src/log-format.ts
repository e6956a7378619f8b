import pino from 'pino';
import pinoPretty from 'pino-pretty';

/** `pretty`: one readable line per entry for a person at a terminal; `json`: one JSON object per line. */
export type LogFormat = 'json' | 'pretty';

/**
 * A person reads a terminal, log collectors read pipes and files: pretty when the stream is a TTY,
 * JSON otherwise. LOG_FORMAT=json|pretty overrides (e.g. JSON in a terminal to pipe through jq later).
 */
export function chooseLogFormat(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): LogFormat {
  const forced = env.LOG_FORMAT?.toLowerCase();
  if (forced === 'json' || forced === 'pretty') return forced;
  return stream.isTTY ? 'pretty' : 'json';
}

/**
 * Formats each entry with pino-pretty's formatter and writes it synchronously (no transport
 * worker: the lines written just before process.exit at the end of a shutdown are not lost).
 * `<time> INFO: <instance>: <msg> {other fields}` on one line; colours only on a colour terminal.
 */
export function prettyStream(destination?: pino.DestinationStream): pino.DestinationStream {
  const format = pinoPretty.prettyFactory({
    colorize: !destination && pinoPretty.isColorSupported,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,instance',
    messageFormat: '{instance}: {msg}',
  });
  const out = destination ?? pino.destination({ fd: 1, sync: true });
  return { write: (line: string) => void out.write(format(line)) };
}
