// theme.js: light or dark. The system preference decides until the user
// toggles; the choice is remembered in this browser.

/** isDark says whether the page is dark now. */
export function isDark() {
  const saved = localStorage.getItem('sa.theme');
  if (saved) return saved === 'dark';
  return matchMedia('(prefers-color-scheme: dark)').matches;
}

/** applyTheme sets the page's theme attribute from the saved choice. */
export function applyTheme() {
  document.documentElement.dataset.theme = isDark() ? 'dark' : 'light';
}

/** toggleTheme flips and remembers the theme. */
export function toggleTheme() {
  localStorage.setItem('sa.theme', isDark() ? 'light' : 'dark');
  applyTheme();
}
