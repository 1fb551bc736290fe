/**
 * Per-file limits on what a pack's parsers are given, so that parsing any one file stays well
 * under a second: YAML (pack.yaml, exercise front matter, scenarios) and Markdown prose.
 */

/** The largest YAML text one pack file may hold. */
export const MAX_YAML_BYTES = 64 * 1024;
/** The largest Markdown prose one exercise file may hold. */
export const MAX_MARKDOWN_BYTES = 64 * 1024;
/** The deepest nesting of flow collections ([ and {) in a YAML file: deeper makes the parser slow. */
export const MAX_YAML_NESTING = 32;

const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

/** Why this YAML text is refused before parsing, or null. */
export function yamlTooHeavy(text: string): string | null {
  if (text.length > MAX_YAML_BYTES) return `its YAML is ${kib(text.length)}; memlab reads at most ${kib(MAX_YAML_BYTES)} of YAML per file (split it, or shorten it)`;
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') {
      if (++depth > MAX_YAML_NESTING) return `its YAML nests [ and { more than ${MAX_YAML_NESTING} deep`;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return null;
}

/** Why this Markdown prose is refused before rendering, or null. */
export function markdownTooHeavy(text: string): string | null {
  return text.length > MAX_MARKDOWN_BYTES ? `its Markdown is ${kib(text.length)}; memlab renders at most ${kib(MAX_MARKDOWN_BYTES)} per exercise file` : null;
}
