/** The API key lives in this tab's sessionStorage only: never in localStorage, cookies or the URL. */
const KEY = 'tally.apiKey';

export const session = {
  /** @returns {string | null} */
  key: () => sessionStorage.getItem(KEY),
  /** @param {string} key */
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};
