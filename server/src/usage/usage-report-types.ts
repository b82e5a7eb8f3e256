// The usage report's shape, as the API, the console and the CSV export read it.

export interface DayFigures {
  day: string;
  peakViewers: number;
  connects: number;
  deliveries: number;
  /** refused attempts for the key that day (0 on a per-origin line) */
  refused: number;
  /** ISO time, or null when nothing was seen that day */
  lastSeen: string | null;
}

export interface Figures {
  /** sockets open now, summed over the gateways that flushed lately */
  viewersNow: number;
  /** the highest per-minute sum across gateways in the range */
  peakViewers: number;
  connects: number;
  deliveries: number;
  lastSeen: string | null;
  days: DayFigures[];
}

export interface RefusedOrigin {
  origin: string;
  count: number;
  /** the last referring page sent with a refused attempt from this origin */
  referer: string | null;
}

export interface KeyUsage extends Figures {
  ref: string;
  name: string;
  kind: 'widget' | 'api';
  /** widget keys: figures per licensed origin */
  origins: (Figures & { origin: string })[];
  /** the last 24 hours, oldest first: hourly peak of viewers */
  lastDay: { hour: string; peakViewers: number }[];
  refused: { total: number; origins: RefusedOrigin[] };
}

export interface UsageReport {
  from: string;
  to: string;
  generatedAt: string;
  keys: KeyUsage[];
  unknownKeys: {
    /** attempts with a missing or unknown key in the range */
    attempts: number;
    /** addresses with such attempts in the last two minutes only (nothing older is kept) */
    recentAddresses: { address: string; count: number }[];
  };
}
