/** The preview's page: the frame that app.js fills. No inline script (the policy forbids it). */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lettermerge preview</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <strong>lettermerge preview</strong>
  <span id="source"></span>
  <span id="status" role="status" aria-live="polite"></span>
</header>
<main>
  <nav aria-label="Recipients">
    <input id="search" type="search" placeholder="Search: name, id, organisation, group, language" aria-label="Search recipients" autocomplete="off">
    <ul id="list" role="listbox" tabindex="0" aria-label="Recipients"></ul>
  </nav>
  <section id="letter" aria-label="The letter">
    <div id="toolbar">
      <label>Language <select id="lang"></select></label>
      <label>Zoom <select id="zoom">
        <option value="fit">Fit width</option><option value="0.75">75%</option><option value="1">100%</option><option value="1.25">125%</option><option value="1.5">150%</option>
      </select></label>
      <a id="download-pdf" download>Download PDF</a>
      <a id="download-eml" download>Download .eml</a>
    </div>
    <div id="error" role="alert" hidden></div>
    <div id="pages"></div>
  </section>
  <aside id="email" aria-label="The e-mail">
    <dl id="headers"></dl>
    <div id="body"></div>
    <h3>Attachments</h3>
    <ul id="attachments"></ul>
  </aside>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
