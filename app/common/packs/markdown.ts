/**
 * Pack prose to HTML, safely: markdown-it with raw HTML off (a pack's <script>, onerror= or
 * <svg> arrives as text), links only to pages inside the lab (no javascript:, no remote pages),
 * and images only from the pack itself, rewritten to the lab's pack-asset URL.
 */
import MarkdownIt from 'markdown-it';

export interface RenderOptions {
  packId: string;
  /** folder of the exercise inside the pack, e.g. '' or 'chapter1' */
  baseDir: string;
}

const md = new MarkdownIt({ html: false, linkify: false, typographer: true });

/** markdown-it's own check refuses javascript:, vbscript:, file: and most data: URLs; memlab also refuses every remote one. */
md.validateLink = (url: string) => {
  const u = url.trim().toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:/.test(u)) return false; // any scheme: remote or script
  if (u.startsWith('//')) return false; // protocol-relative: remote
  return true;
};

export function normalisePackPath(baseDir: string, rel: string): string | null {
  const parts = [...baseDir.split('/'), ...rel.split('/')].filter((p) => p && p !== '.');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') {
      if (!out.length) return null;
      out.pop();
    } else out.push(p);
  }
  const joined = out.join('/');
  return /^[\w./-]+$/.test(joined) ? joined : null;
}

export function renderMarkdown(src: string, opts: RenderOptions): string {
  const env = {};
  const tokens = md.parse(src, env);
  const walk = (list: typeof tokens) => {
    for (const t of list) {
      if (t.type === 'image') {
        const rel = normalisePackPath(opts.baseDir, String(t.attrGet('src') ?? ''));
        if (rel) t.attrSet('src', `./pack-assets/${encodeURIComponent(opts.packId)}/${rel.split('/').map(encodeURIComponent).join('/')}`);
        else t.attrSet('src', '');
      }
      if (t.type === 'link_open') {
        const href = String(t.attrGet('href') ?? '');
        if (!href.startsWith('#')) t.attrSet('href', '#');
        t.attrSet('rel', 'noopener noreferrer');
      }
      if (t.children) walk(t.children);
    }
  };
  walk(tokens);
  return md.renderer.render(tokens, md.options, env);
}

/** A short text rendered as one paragraph is shown inline: without its <p>. */
export function oneParagraph(html: string): string {
  return /^<p>((?:(?!<\/?p>)[\s\S])*)<\/p>\n?$/.exec(html)?.[1] ?? html;
}
