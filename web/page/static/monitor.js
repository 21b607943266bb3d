// The clerks' live monitor: every running auction, re-read every 2 seconds,
// with countdowns on the server's clock.
'use strict';

(() => {
  const body = document.getElementById('monitor');
  let offset = 0;

  function cell(tr, i) {
    while (tr.cells.length <= i) tr.insertCell();
    return tr.cells[i];
  }

  function update(tr, a) {
    const link = document.createElement('a');
    link.href = '/auctions/' + encodeURIComponent(a.id);
    link.textContent = a.title;
    const court = document.createElement('span');
    court.className = 'muted';
    court.textContent = a.court_name;
    cell(tr, 0).replaceChildren(link, document.createElement('br'), court);
    const badge = document.createElement('span');
    badge.className = 'badge status-' + a.status;
    badge.textContent = t('status.' + a.status);
    cell(tr, 1).replaceChildren(badge);
    const price = cell(tr, 2);
    const text = a.current_price === null ? '—' : money(a.current_price);
    if (price.textContent !== text) {
      price.textContent = text;
      price.className = 'price flash';
    }
    cell(tr, 3).textContent = a.leader_code || '—';
    cell(tr, 4).textContent = a.bid_count;
    cell(tr, 5).textContent = fmtTime(a.ends_at);
    cell(tr, 6).className = 'countdown';
    cell(tr, 6).dataset.ends = a.ends_at;
  }

  function tick() {
    const now = Date.now() + offset;
    for (const td of body.querySelectorAll('[data-ends]')) {
      const ms = Date.parse(td.dataset.ends) - now;
      td.textContent = ms > 0 ? clock(ms) : t('js.closing');
    }
  }

  async function refresh() {
    const sent = Date.now();
    const [bidding, suspended] = await Promise.all([
      api('GET', '/api/v1/auctions?status=bidding&limit=' + body.dataset.limit),
      api('GET', '/api/v1/auctions?status=suspended&limit=' + body.dataset.limit)]);
    if (!bidding.ok || !suspended.ok) return;
    const list = bidding.data.auctions.concat(suspended.data.auctions);
    if (list.length) offset = Date.parse(list[0].server_time) - (sent + Date.now()) / 2;
    const rows = new Map([...body.rows].map(tr => [tr.dataset.id, tr]));
    list.forEach((a, i) => {
      let tr = rows.get(a.id);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.id = a.id;
      }
      rows.delete(a.id);
      update(tr, a);
      if (body.rows[i] !== tr) body.insertBefore(tr, body.rows[i] || null);
    });
    rows.forEach(tr => tr.remove());
    document.getElementById('monitor-empty').hidden = list.length > 0;
    document.getElementById('monitor-more').hidden = !(bidding.data.more || suspended.data.more);
    tick();
  }

  setInterval(refresh, 2000);
  setInterval(tick, 500);
  refresh();
})();
