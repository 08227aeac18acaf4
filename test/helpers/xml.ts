/**
 * A small XML well-formedness checker for tests (no XML parser is among the dependencies): balanced and
 * properly nested tags, quoted attributes without duplicates, known or numeric entities, one root element.
 * Throws an Error describing the first problem.
 */
export function assertWellFormedXml(xml: string): void {
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<!DOCTYPE[^>]*>|<\/?[^>]*>|[^<]+/g;
  const stack: string[] = [];
  let roots = 0;
  let consumed = 0;
  for (const m of xml.matchAll(token)) {
    if (m.index !== consumed) throw new Error(`XML: unexpected character at ${consumed}`);
    consumed += m[0].length;
    const t = m[0];
    if (t.startsWith("<!--") || t.startsWith("<?") || t.startsWith("<![CDATA[") || t.startsWith("<!DOCTYPE")) continue;
    if (!t.startsWith("<")) {
      checkEntities(t);
      if (stack.length === 0 && t.trim() !== "")
        throw new Error(`XML: text outside the root element: ${t.slice(0, 20)}`);
      continue;
    }
    const close = /^<\/([A-Za-z_][\w:.-]*)\s*>$/.exec(t);
    if (close) {
      const open = stack.pop();
      if (open !== close[1]) throw new Error(`XML: </${close[1]}> closes <${open}>`);
      continue;
    }
    const open = /^<([A-Za-z_][\w:.-]*)((?:\s+[A-Za-z_][\w:.-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>$/.exec(t);
    if (!open) throw new Error(`XML: malformed tag ${t.slice(0, 60)}`);
    const names = [...open[2].matchAll(/([A-Za-z_][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')/g)].map((a) => {
      checkEntities(a[2]);
      return a[1];
    });
    if (new Set(names).size !== names.length) throw new Error(`XML: duplicate attribute in ${t.slice(0, 60)}`);
    if (stack.length === 0) roots++;
    if (open[3] !== "/") stack.push(open[1]);
  }
  if (consumed !== xml.length) throw new Error(`XML: unexpected character at ${consumed}`);
  if (stack.length > 0) throw new Error(`XML: unclosed <${stack[stack.length - 1]}>`);
  if (roots !== 1) throw new Error(`XML: expected one root element, found ${roots}`);
}

function checkEntities(text: string): void {
  for (const m of text.matchAll(/&([^;\s]*);?/g)) {
    if (!m[0].endsWith(";") || !/^(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1])) {
      throw new Error(`XML: bad entity ${m[0]}`);
    }
  }
}
