/** Light and dark follow the OS unless the learner picks one; the choice is kept in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';

class ThemeStore {
  choice = $state<ThemeChoice>('system');
  private media = window.matchMedia('(prefers-color-scheme: dark)');
  systemDark = $state(false);
  effective = $derived<'light' | 'dark'>(this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice);

  constructor() {
    const saved = localStorage.getItem('memlab.theme');
    if (saved === 'light' || saved === 'dark' || saved === 'system') this.choice = saved;
    this.systemDark = this.media.matches;
    this.media.addEventListener('change', (e) => (this.systemDark = e.matches));
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    localStorage.setItem('memlab.theme', choice);
  }
}

export const theme = new ThemeStore();
