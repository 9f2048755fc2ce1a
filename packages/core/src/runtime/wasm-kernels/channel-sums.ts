import { channelSumsWasm } from './channel-sums-module.js';
import { heapExport } from './heap-module.js';

/** What channel-sums.wat exports: per-channel sums (or means) of `rows` rows of `channels` floats. */
export type ChannelSums = (src: number, rows: number, channels: number, dst: number, mean: number) => void;

/** channel-sums.wat on the backend's heap, or null where it cannot run there. */
export const channelSumsOn = heapExport<ChannelSums>(channelSumsWasm, 'channelSums');
