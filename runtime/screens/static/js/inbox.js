// The flow screens' small browser side (runtime/pages_flows.py), kept out of the page for the CSP:
//
// - the header's and the home page's counts (待办, 逾期, 传阅, 通知 …): pages that did not render them
//   carry [data-count] badges and one [data-counts-url]; one request to the counts API fills them all;
// - a form with data-confirm (终止, 撤回) asks before it is sent.
// Without scripts the links work and simply show no numbers; the server checks every action anyway.

const source = document.querySelector('[data-counts-url]');
const badges = document.querySelectorAll('[data-count]');

if (source && badges.length) {
  fetch(source.dataset.countsUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((response) => (response.ok ? response.json() : null))
    .then((counts) => {
      if (!counts) return;
      badges.forEach((badge) => {
        const n = counts[badge.dataset.count];
        if (typeof n !== 'number') return;
        badge.textContent = String(n);
        badge.hidden = n === 0 && badge.closest('header') !== null;  // the header shows only what is waiting
      });
    })
    .catch(() => {});
}

document.addEventListener('submit', (event) => {
  const question = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
