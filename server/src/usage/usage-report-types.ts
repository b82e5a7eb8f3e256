// The usage report's shape, as the API, the console and the CSV export read it: part of the
// protocol (`GET /api/usage`), so the console imports it from there; re-exported for the server.
export type { DayFigures, Figures, KeyUsage, RefusedOrigin, UsageReport } from '@headline-ticker/sdk/protocol';
