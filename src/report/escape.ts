/** Escapes the five HTML-special characters as numeric entities, so any text is safe inside markup and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
