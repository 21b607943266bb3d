// The signed-in user's notices and watch list: the header's unread count,
// the list on /me/notifications, watch buttons, the watch list's prices and
// the notification settings on /me. Kept current by polling the API with
// since= every few seconds (and at once when the tab comes back): a
// bidder's notices come from many auctions and from deadlines, so no one
// auction's live feed carries them, and a poll that finds nothing new costs
// one indexed read. Needs app.js (G, t, api, money, fmtTime).
'use strict';

(function () {
  const POLL_MS = 5000;
  const badge = document.getElementById('notice-count');
  const bell = document.getElementById('bell');
  const list = document.getElementById('notice-list');
  const readAll = document.getElementById('notices-read');
  const empty = document.getElementById('notices-empty');
  // On the list the poll asks for what came after the newest seq shown;
  // elsewhere only the count matters, so it asks for nothing after "now".
  let since = list ? Number(G.notice_seq || 0) : Number.MAX_SAFE_INTEGER;

  function setCount(n) {
    badge.hidden = !n;
    badge.textContent = n ? String(n) : '';
    bell.setAttribute('aria-label', bell.firstChild.textContent.trim() + (n ? ' ' + t('js.unread_count', n) : ''));
  }

  function item(n) {
    const li = document.createElement('li');
    li.className = 'notice notice-' + n.type + (n.read_at ? '' : ' unread');
    li.dataset.id = n.id;
    li.dataset.seq = n.seq;
    const subject = document.createElement('p');
    subject.className = 'notice-subject';
    const a = document.createElement('a');
    // A notice about the account (not an auction) leads to the account page.
    a.href = n.auction_id ? '/auctions/' + encodeURIComponent(n.auction_id) : '/me';
    a.textContent = n.subject;
    subject.append(a);
    const text = document.createElement('p');
    text.className = 'notice-text';
    text.textContent = n.text;
    const when = document.createElement('p');
    when.className = 'muted';
    const time = document.createElement('time');
    time.dateTime = n.updated_at;
    time.textContent = fmtTime(n.updated_at);
    when.append(time);
    if (!n.read_at) {
      const mark = document.createElement('span');
      mark.className = 'unread-mark';
      mark.textContent = t('js.unread');
      when.append(' · ', mark);
    }
    li.append(subject, text, when);
    return li;
  }

  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      for (;;) {
        const r = await api('GET', '/api/v1/me/notifications?since=' + since + '&lang=' + encodeURIComponent(G.lang));
        if (!r.ok) return;
        for (const n of r.data.notifications) {
          since = Math.max(since, n.seq);
          if (!list) continue;
          // A coalesced outbid comes again under a new seq: it moves up.
          const old = list.querySelector(`[data-id="${CSS.escape(n.id)}"]`);
          if (old) old.remove();
          list.prepend(item(n));
        }
        if (list && list.children.length) {
          empty.hidden = true;
          readAll.hidden = false;
        }
        setCount(r.data.unread);
        if (!r.data.more) return;
      }
    } finally {
      polling = false;
    }
  }

  if (badge) {
    poll();
    setInterval(() => { if (!document.hidden) poll(); }, POLL_MS);
    document.addEventListener('visibilitychange', () => { if (!document.hidden) poll(); });
  }

  if (readAll) {
    readAll.addEventListener('click', async () => {
      readAll.disabled = true;
      const r = await api('POST', '/api/v1/me/notifications/read', {up_to_seq: since});
      readAll.disabled = false;
      if (!r.ok) return;
      list.querySelectorAll('.unread').forEach(li => li.classList.remove('unread'));
      list.querySelectorAll('.unread-mark').forEach(s => s.remove());
      poll();
    });
  }

  // Watch buttons (the auction page, the watch list).
  document.querySelectorAll('[data-watch]').forEach(b => b.addEventListener('click', async () => {
    const on = b.getAttribute('aria-pressed') !== 'true';
    b.disabled = true;
    const r = await api(on ? 'PUT' : 'DELETE', '/api/v1/me/watchlist/' + encodeURIComponent(b.dataset.watch));
    b.disabled = false;
    if (!r.ok) return;
    b.setAttribute('aria-pressed', String(on));
    b.textContent = t(on ? 'js.unwatch' : 'js.watch');
  }));

  // The watch list's prices, statuses and end times.
  if (G.watchlist) {
    setInterval(async () => {
      if (document.hidden) return;
      const r = await api('GET', '/api/v1/me/watchlist');
      if (!r.ok) return;
      for (const a of r.data.auctions) {
        const row = document.querySelector(`tr[data-auction="${CSS.escape(a.id)}"]`);
        if (!row) continue;
        row.querySelector('[data-field="price"]').textContent = money(a.current_price === null ? a.start_price : a.current_price);
        row.querySelector('[data-field="bids"]').textContent = String(a.bid_count);
        const st = row.querySelector('[data-field="status"]');
        st.className = 'badge status-' + a.status;
        st.textContent = t('status.' + a.status);
        const ends = row.querySelector('[data-field="ends"]');
        ends.dateTime = a.ends_at;
        ends.textContent = fmtTime(a.ends_at);
      }
    }, POLL_MS);
  }

  // Notification settings on /me.
  const form = document.getElementById('notice-settings');
  if (form) {
    const status = document.getElementById('ns-status');
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      const off = {email: [], sms: []};
      form.querySelectorAll('input[type="checkbox"][data-kind]').forEach(c => {
        if (!c.checked) off[c.dataset.channel].push(c.dataset.kind);
      });
      status.textContent = '';
      const r = await api('PUT', '/api/v1/me/notification-settings', {language: form.elements.language.value, off});
      status.textContent = r.ok ? t('js.saved') : errorText(r.error);
    });
    form.querySelectorAll('button[type="submit"]').forEach(b => { b.disabled = false; });
  }
})();
