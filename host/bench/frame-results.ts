// What the page benchmark (page/frame-bench.ts, in Chromium) hands back to the Node side: for each
// step, the median and p99 frame time of ours, of ours without skipping redraws (decimated), of the
// previous design, and of the reference.
export type Figures = { median: number; p99: number };
export type FrameResults = Record<string, { ours: Figures; decimated: Figures; previous: Figures; reference: Figures }>;
