// Structured logs: one JSON object per line (pino), or a short human form with --log-format pretty.
import pino, { type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';
export type { Logger };

function prettyStream(): pino.DestinationStream {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      const { time, level, msg, pid: _pid, hostname: _h, node_id, ...rest } = JSON.parse(line);
      const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      process.stdout.write(`${new Date(time).toISOString()} ${levels[level] ?? level} [${node_id}] ${msg}${extra ? ' ' + extra : ''}\n`);
    },
  };
}

export function createLogger(nodeId: string, format: LogFormat, level = process.env.PHANTOM_LOG_LEVEL ?? 'info'): Logger {
  const opts: pino.LoggerOptions = { level, base: { node_id: nodeId }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'pretty') return pino({ ...opts, timestamp: pino.stdTimeFunctions.epochTime }, prettyStream());
  // Synchronous writes: a node killed with SIGKILL must not lose the log lines that explain why.
  return pino(opts, pino.destination({ dest: 1, sync: true }));
}
