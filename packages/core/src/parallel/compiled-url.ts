/**
 * The URL of a compiled module next to `base` (an `import.meta.url`): `specifier` resolved
 * against it when it is compiled JavaScript (the built packages), else against its twin under
 * dist/ (a test running the TypeScript sources), since a worker thread runs plain Node
 * without the test runner's transforms.
 */
export function compiledModuleUrl(specifier: string, base: string): URL {
  const url = new URL(base);
  if (url.pathname.endsWith('.ts')) url.pathname = url.pathname.replace(/\/src\/(?!.*\/src\/)/, '/dist/').replace(/\.ts$/, '.js');
  return new URL(specifier, url);
}
