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

  // labelled gives a cell the column's name, shown beside it on a phone.
  function labelled(tr, i) {
    const td = cell(tr, i);
    td.dataset.label = document.querySelectorAll('#monitor-table thead th')[i].textContent;
    return td;
  }

  function update(tr, a) {
    // An end that moved later while bidding is an extension (a court's
    // resumption moves it too, from suspended).
    const was = tr.dataset.endAt;
    if (was && a.status === 'bidding' && tr.dataset.status === 'bidding' && Date.parse(a.ends_at) > Date.parse(was)) {
      tr.dataset.extended = String(Number(tr.dataset.extended || 0) + 1);
    }
    tr.dataset.endAt = a.ends_at;
    tr.dataset.status = a.status;
    labelled(tr, 0).textContent = a.case_number;
    const link = document.createElement('a');
    link.href = '/auctions/' + encodeURIComponent(a.id);
    link.textContent = a.title;
    const court = document.createElement('span');
    court.className = 'muted';
    court.textContent = a.court_name;
    labelled(tr, 1).replaceChildren(link, document.createElement('br'), court);
    const badge = document.createElement('span');
    badge.className = 'badge status-' + a.status;
    badge.textContent = t('status.' + a.status);
    labelled(tr, 2).replaceChildren(badge);
    const price = labelled(tr, 3);
    const text = a.current_price === null ? '—' : money(a.current_price);
    if (price.textContent !== text) {
      price.textContent = text;
      price.className = 'price flash';
    }
    labelled(tr, 4).textContent = a.leader_code || '—';
    labelled(tr, 5).textContent = a.bid_count;
    const end = labelled(tr, 6);
    end.textContent = fmtTime(a.ends_at);
    if (Number(tr.dataset.extended) > 0) {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = t('js.monitor_extended', tr.dataset.extended);
      end.append(document.createElement('br'), tag);
    }
    labelled(tr, 7).className = 'countdown';
    cell(tr, 7).dataset.ends = a.ends_at;
    const manage = document.createElement('a');
    manage.href = '/clerk/lots/' + encodeURIComponent(a.lot_id) + '#court-actions';
    manage.textContent = t('js.monitor_actions');
    labelled(tr, 8).replaceChildren(manage);
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
