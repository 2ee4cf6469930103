import type { BuildOptions } from 'esbuild';
export function webviewBundleOptions(entry: string, outfile: string): BuildOptions;
