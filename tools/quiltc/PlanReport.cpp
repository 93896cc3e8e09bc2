//===- PlanReport.cpp - quiltc --plan-report: the plan as a web page ------===//
//
// The page is written whole by this file: static HTML and SVG (readable with
// scripting off), with a small script for hover highlighting, phase filters
// and table sorting. The script sets `data-ok="1"` on <body> once it has run
// without error, which test/quiltc/plan_report_check.py looks for in a
// headless browser.
//
//===----------------------------------------------------------------------===//
#include "PlanReport.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace mlir;
using namespace quilt;

std::string quilt::htmlEscape(StringRef text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

namespace {

using llvm::format;

std::string esc(StringRef text) { return htmlEscape(text); }

/// At most `max` bytes of `text` (not splitting a UTF-8 sequence), with an
/// ellipsis when cut.
std::string clip(StringRef text, size_t max) {
  if (text.size() <= max)
    return text.str();
  size_t n = max - 1;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80)
    --n;
  return text.substr(0, n).str() + "\xE2\x80\xA6";
}

template <typename... Ts> std::string fmt(const char *f, Ts... args) {
  std::string s;
  llvm::raw_string_ostream(s) << format(f, args...);
  return s;
}

std::string num(double v) { return fmt("%.1f", v); }

/// A time in microseconds, in the unit that reads best.
std::string timeText(double us) {
  if (us == 0)
    return "0 \xC2\xB5s";
  if (us < 1)
    return fmt("%.3f \xC2\xB5s", us);
  if (us < 1000)
    return fmt("%.2f \xC2\xB5s", us);
  if (us < 1e6)
    return fmt("%.3f ms", us / 1e3);
  return fmt("%.3f s", us / 1e6);
}

std::string ms(double us) { return fmt("%.3f", us / 1000.0); }

std::string bytesText(double b) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt("%.0f B", b) : fmt("%.1f %s", b, units[u]);
}

std::string flopsText(double f) {
  const char *units[] = {"FLOP", "kFLOP", "MFLOP", "GFLOP", "TFLOP", "PFLOP"};
  int u = 0;
  while (f >= 1000 && u < 5) {
    f /= 1000;
    ++u;
  }
  return u == 0 ? fmt("%.0f FLOP", f) : fmt("%.2f %s", f, units[u]);
}

const char *phaseColor(CostPhase phase) {
  switch (phase) {
  case CostPhase::Compute: return "#4e79a7";
  case CostPhase::Halo: return "#f28e2b";
  case CostPhase::Collective: return "#e15759";
  }
  return "#999";
}
const char *kComputeColor = "#4e79a7", *kHaloColor = "#f28e2b", *kCollectiveColor = "#e15759";

const char *axisColor(size_t i) {
  static const char *colors[] = {"#2a9d8f", "#8e44ad", "#b8860b", "#c0392b"};
  return colors[std::min<size_t>(i, 3)];
}

std::string joinMesh(ArrayRef<int64_t> mesh) {
  std::string s;
  for (auto [i, n] : llvm::enumerate(mesh))
    s += (i ? "x" : "") + std::to_string(n);
  return s.empty() ? "1" : s;
}

std::string joinShape(ArrayRef<int64_t> shape) {
  std::string s;
  for (auto [i, n] : llvm::enumerate(shape))
    s += (i ? "\xC3\x97" : "") + std::to_string(n);
  return s;
}

/// `op kind 'node'`, escaped.
std::string opLabel(const OpCost &op, size_t clipAt = 200) {
  std::string s = op.kind;
  if (!op.node.empty())
    s += " '" + op.node + "'";
  return esc(clip(s, clipAt));
}

class Writer {
public:
  Writer(const Simulation &s, ArrayRef<PlanCandidate> ranked, llvm::raw_ostream &os)
      : s(s), ranked(ranked), os(os) {
    ranks = std::max<int64_t>(1, s.cost.ranks);
    for (auto [i, p] : llvm::enumerate(s.placement))
      axisIndex[p.name] = i;
  }

  void write() {
    head();
    summary();
    mesh();
    splits();
    timeline();
    candidates();
    tail();
  }

private:
  const Simulation &s;
  ArrayRef<PlanCandidate> ranked;
  llvm::raw_ostream &os;
  int64_t ranks = 1;
  std::map<std::string, size_t> axisIndex;

  std::string planDescription() const {
    return s.description.empty() ? std::string("mesh " + joinMesh(s.mesh)) : s.description;
  }
  std::string shardFlag() const {
    std::string flag;
    for (auto [i, item] : llvm::enumerate(s.shards))
      flag += (i ? "," : "") + item;
    return flag;
  }
  const std::string &topologyName() const {
    static const std::string none = "?";
    return s.topology ? s.topology->name : none;
  }
  int64_t axisSize(StringRef name) const {
    auto found = axisIndex.find(name.str());
    return found == axisIndex.end() ? 1 : s.placement[found->second].size;
  }
  const char *colorOfAxis(StringRef name) const {
    auto found = axisIndex.find(name.str());
    return found == axisIndex.end() ? "#777" : axisColor(found->second);
  }
  std::vector<int64_t> coordsOf(int64_t rank) const {
    std::vector<int64_t> c;
    for (const AxisPlacement &p : s.placement)
      c.push_back(p.size > 0 && p.stride > 0 ? (rank / p.stride) % p.size : 0);
    return c;
  }
  std::string axisSpan(StringRef name, StringRef text) const {
    return "<span class=\"axis\" style=\"color:" + std::string(colorOfAxis(name)) + "\">" +
           esc(text) + "</span>";
  }

  //===--------------------------------------------------------------------===//
  // Page frame
  //===--------------------------------------------------------------------===//

  void head() {
    os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
       << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
       << "<title>Quilt plan: " << esc(planDescription()) << " on '" << esc(topologyName())
       << "'</title>\n<style>\n" << R"css(
:root { --compute: #4e79a7; --halo: #f28e2b; --collective: #e15759; --line: #d5dae0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       margin: 0; background: #f6f7f9; }
main { max-width: 1180px; margin: 0 auto; padding: 12px 20px 40px; }
h1 { font-size: 22px; margin: 16px 0 4px; }
h2 { font-size: 18px; margin: 0 0 6px; }
section, header.card { background: #fff; border: 1px solid var(--line); border-radius: 8px;
                        padding: 14px 18px; margin: 14px 0; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
.muted { color: #656d76; }
.small { font-size: 12px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f0f2f4;
       padding: 1px 4px; border-radius: 4px; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 130px; }
.stat b { display: block; font-size: 18px; }
.stat span { font-size: 12px; color: #656d76; }
.warn { color: #b35900; font-weight: 600; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 4px;
          vertical-align: -1px; }
.legend .item { margin-right: 16px; white-space: nowrap; }
.axis { font-weight: 600; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.scroll { overflow-x: auto; }
#mesh g.rank { cursor: default; }
#mesh g.rank rect.cell { fill: #fff; stroke: #8c959f; }
#mesh g.rank.focus rect.cell { fill: #fff8c5; }
#mesh rect.ring { fill: none; stroke-width: 2.5; visibility: hidden; }
#mesh rect.ring.on { visibility: visible; }
.tensors { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.tensor { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; width: 262px; }
.tensor .tname { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tensor .tshape { font-size: 12px; }
#timeline g.op:hover rect.rowbg, #timeline g.op.hot rect.rowbg { fill: #fff3c4; }
#timeline rect.seg.hot { stroke: #000; stroke-width: 1.5; }
#timeline.dim-compute .ph-compute, #timeline.dim-halo .ph-halo,
#timeline.dim-collective .ph-collective { opacity: 0.15; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
         vertical-align: middle; }
th { background: #f6f8fa; position: sticky; top: 0; }
th[data-col] { cursor: pointer; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.winner td { background: #dafbe1; font-weight: 600; }
tr.failed td { color: #8c959f; }
td.nofit { color: #cf222e; }
.badge { display: inline-block; background: #1a7f37; color: #fff; border-radius: 10px;
         padding: 0 7px; font-size: 11px; margin-left: 4px; }
details summary { cursor: pointer; color: #0969da; margin-top: 8px; }
footer { color: #656d76; font-size: 12px; text-align: center; }
)css" << "</style>\n"
       // Runs first: records uncaught errors and console.error calls on
       // <html data-errors>, so a headless check sees them in the DOM.
       << "<script>\n" << R"js((function () {
  var errors = [];
  function note(message) {
    errors.push(String(message));
    document.documentElement.setAttribute('data-errors', errors.join(' | '));
  }
  window.addEventListener('error', function (e) { note(e.message || 'error'); });
  window.addEventListener('unhandledrejection', function (e) { note(e.reason); });
  var original = console.error;
  console.error = function () {
    note(Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
)js" << "</script>\n</head>\n<body>\n<main>\n";
  }

  void tail() {
    os << "<footer>Written by <code>quiltc --plan-report</code>: a prediction of the cost "
          "model on topology '"
       << esc(topologyName())
       << "', not a measurement. The page is self-contained (no network).</footer>\n"
       << "</main>\n<script>\n" << R"js((function () {
  'use strict';
  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  // (a) Hover a rank: outline its groups along each mesh axis.
  var ranks = all('#mesh g.rank');
  function coords(g) { return g.getAttribute('data-c').split(',').map(Number); }
  var info = document.getElementById('rank-info');
  function highlight(g) {
    var c = coords(g);
    ranks.forEach(function (h) {
      var d = coords(h), differ = 0, axis = -1;
      for (var i = 0; i < c.length; i++) if (c[i] !== d[i]) { differ++; axis = i; }
      all('rect.ring', h).forEach(function (ring) {
        var a = Number(ring.getAttribute('data-axis'));
        ring.classList.toggle('on', differ === 0 || (differ === 1 && axis === a));
      });
      h.classList.toggle('focus', differ === 0);
    });
    if (info) info.textContent = g.getAttribute('data-info');
  }
  ranks.forEach(function (g) { g.addEventListener('mouseenter', function () { highlight(g); }); });
  if (ranks.length) highlight(ranks[0]);

  // (c) Hover an op: the same op in the overview strip and the rows.
  var byOp = {};
  all('#timeline [data-op]').forEach(function (el) {
    var k = el.getAttribute('data-op');
    (byOp[k] = byOp[k] || []).push(el);
  });
  Object.keys(byOp).forEach(function (k) {
    byOp[k].forEach(function (el) {
      el.addEventListener('mouseenter', function () {
        byOp[k].forEach(function (x) { x.classList.add('hot'); });
      });
      el.addEventListener('mouseleave', function () {
        byOp[k].forEach(function (x) { x.classList.remove('hot'); });
      });
    });
  });
  var timeline = document.getElementById('timeline');
  all('#timeline input[data-phase]').forEach(function (box) {
    box.addEventListener('change', function () {
      timeline.classList.toggle('dim-' + box.getAttribute('data-phase'), !box.checked);
    });
  });

  // (d) Sort the candidates by a column (click its header).
  var table = document.getElementById('cand-table');
  if (table) {
    var body = table.tBodies[0];
    all('th[data-col]', table).forEach(function (th) {
      th.addEventListener('click', function () {
        var col = Number(th.getAttribute('data-col'));
        var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
        th.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
        var rows = Array.prototype.slice.call(body.rows);
        function key(r) {
          var v = r.cells[col] && r.cells[col].getAttribute('data-v');
          return v === null || v === undefined || v === '' ? Infinity : Number(v);
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (x === y) return Number(a.getAttribute('data-rank')) - Number(b.getAttribute('data-rank'));
          if (x === Infinity) return 1;
          if (y === Infinity) return -1;
          return dir * (x - y);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  // Sentinel for the headless check: every section drawn, no error seen.
  var missing = ['summary', 'mesh', 'splits', 'timeline', 'candidates'].filter(function (id) {
    return !document.getElementById(id);
  });
  document.body.setAttribute('data-svgs', String(all('svg').length));
  var ok = missing.length === 0 && !document.documentElement.hasAttribute('data-errors');
  document.body.setAttribute('data-ok', ok ? '1' : '0');
})();
)js" << "</script>\n</body>\n</html>\n";
  }

  /// A horizontal bar of compute, halo and collective time, `width` wide at
  /// `scaleUs`.
  std::string phaseBar(const PlanCost &c, double scaleUs, double width, double height) {
    std::string svg;
    llvm::raw_string_ostream out(svg);
    out << "<svg class=\"phasebar\" width=\"" << num(width) << "\" height=\"" << num(height)
        << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\" role=\"img\">";
    out << "<rect width=\"" << num(width) << "\" height=\"" << num(height)
        << "\" fill=\"#f0f2f4\"/>";
    double x = 0;
    struct {
      const char *name, *color;
      double us;
    } parts[] = {{"compute", kComputeColor, c.computeUs},
                 {"halo", kHaloColor, c.haloUs},
                 {"collective", kCollectiveColor, c.collectiveUs}};
    for (auto &p : parts) {
      double w = scaleUs > 0 ? width * p.us / scaleUs : 0;
      if (w <= 0)
        continue;
      out << "<rect x=\"" << num(x) << "\" width=\"" << num(std::max(w, 0.5)) << "\" height=\""
          << num(height) << "\" fill=\"" << p.color << "\"><title>" << p.name << " "
          << timeText(p.us) << "</title></rect>";
      x += w;
    }
    out << "</svg>";
    return svg;
  }

  //===--------------------------------------------------------------------===//
  // Summary
  //===--------------------------------------------------------------------===//

  void summary() {
    const PlanCost &c = s.cost;
    os << "<header class=\"card\" id=\"summary\">\n<h1>Quilt plan report</h1>\n";
    os << "<div>mesh <b>" << esc(joinMesh(s.mesh)) << "</b>";
    if (!s.description.empty())
      os << " (" << esc(s.description) << ")";
    os << " on topology <b>'" << esc(topologyName()) << "'</b>, " << c.ranks
       << " devices, " << c.ranksPerNode << " per node</div>\n";
    os << "<div class=\"small muted\">the same plan by hand: <code>--mesh="
       << esc(joinMesh(s.mesh));
    if (!s.shards.empty())
      os << " --shard=" << esc(shardFlag());
    os << "</code></div>\n";
    if (s.topology && !s.topology->description.empty())
      os << "<div class=\"small muted\">" << esc(s.topology->description) << "</div>\n";
    auto stat = [&](const std::string &value, const std::string &label, const char *color) {
      os << "<div class=\"stat\"";
      if (color)
        os << " style=\"border-left:4px solid " << color << "\"";
      os << "><b>" << value << "</b><span>" << label << "</span></div>";
    };
    auto pct = [&](double us) {
      return c.totalUs > 0 ? fmt(" (%.0f%%)", 100.0 * us / c.totalUs) : std::string();
    };
    os << "<div class=\"stats\">";
    stat(timeText(c.totalUs), "predicted time per step", nullptr);
    stat(timeText(c.computeUs), "compute" + pct(c.computeUs), kComputeColor);
    stat(timeText(c.haloUs), "halo exchange" + pct(c.haloUs), kHaloColor);
    stat(timeText(c.collectiveUs), "collectives" + pct(c.collectiveUs), kCollectiveColor);
    if (s.arenaBytes)
      stat(bytesText(*s.arenaBytes + s.weightBytes),
           "memory per device (arena " + bytesText(*s.arenaBytes) + " + weights " +
               bytesText(s.weightBytes) + ")",
           nullptr);
    else
      stat(bytesText(s.weightBytes), "weights per device (arena not planned)", nullptr);
    os << "</div>\n";
    os << phaseBar(c, c.totalUs, 600, 14) << "\n";
    if (c.oversubscribed)
      os << "<div class=\"warn\">oversubscribed: more ranks on a node than it has cores</div>\n";
    os << "<nav class=\"small\"><a href=\"#mesh\">mesh on the topology</a><a "
          "href=\"#splits\">tensor splits</a><a href=\"#timeline\">timeline</a><a "
          "href=\"#candidates\">plan search</a></nav>\n</header>\n";
  }

  //===--------------------------------------------------------------------===//
  // (a) The mesh over the topology's levels
  //===--------------------------------------------------------------------===//

  static constexpr int64_t kMaxRanksDrawn = 64;
  static constexpr double kCellW = 78, kCellH = 44, kGap = 6, kPad = 8, kHeader = 20;
  static constexpr double kMaxRowWidth = 1120;

  struct Box {
    int depth = -1; // index into `drawnLevels`, -1: a rank
    int64_t first = 0, count = 1;
    double w = 0, h = 0;
    std::vector<Box> kids;
    std::vector<std::pair<double, double>> at;
  };
  std::vector<size_t> drawnLevels;
  std::vector<int64_t> unitOf; // devices in one unit of drawnLevels[i]
  int64_t cap = 0;

  Box layout(int depth, int64_t first, int64_t count) {
    Box b;
    b.depth = depth;
    b.first = first;
    b.count = count;
    if (depth < 0) {
      b.w = kCellW;
      b.h = kCellH;
      return b;
    }
    int64_t childUnit = depth == 0 ? 1 : unitOf[depth - 1];
    for (int64_t start = first; start < first + count && start < cap; start += childUnit)
      b.kids.push_back(layout(depth - 1, start, std::min(childUnit, first + count - start)));
    double x = 0, y = 0, rowH = 0, contentW = 0;
    size_t cols = depth == 0 ? std::min<size_t>(b.kids.size(), 8) : b.kids.size();
    double limit = kMaxRowWidth - 2 * kPad * (drawnLevels.size() - depth);
    for (size_t i = 0; i < b.kids.size(); ++i) {
      const Box &k = b.kids[i];
      bool wrap = x > 0 && ((depth == 0 && i % cols == 0) || (depth > 0 && x + k.w > limit));
      if (wrap) {
        x = 0;
        y += rowH + kGap;
        rowH = 0;
      }
      b.at.push_back({x, y});
      x += k.w + kGap;
      rowH = std::max(rowH, k.h);
      contentW = std::max(contentW, x - kGap);
    }
    b.w = std::max(contentW + 2 * kPad, 150.0);
    b.h = kHeader + y + rowH + kPad;
    return b;
  }

  void emitBox(const Box &b, double x, double y, llvm::raw_ostream &out) {
    if (b.depth < 0) {
      emitRank(b.first, x, y, out);
      return;
    }
    const NetworkLevel &level = s.topology->levels[drawnLevels[b.depth]];
    int64_t unit = unitOf[b.depth];
    static const char *fills[] = {"#eef4fb", "#f4f0fa", "#f3f7ee", "#fbf3ec"};
    static const char *strokes[] = {"#6b8fb8", "#8e7cb3", "#7f9a5e", "#b48a5e"};
    int tone = (int)b.depth % 4;
    out << "<g class=\"unit\"><title>" << esc(level.name) << " " << (b.first / unit) << " ("
        << esc(level.kind) << "): ranks " << b.first << "\xE2\x80\x93"
        << (b.first + b.count - 1) << "; messages inside it: " << fmt("%.3g", level.alphaUs)
        << " \xC2\xB5s latency, " << fmt("%.4g", level.bandwidthGBps)
        << " GB/s per device</title>";
    out << "<rect x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\"" << num(b.w)
        << "\" height=\"" << num(b.h) << "\" rx=\"6\" fill=\"" << fills[tone] << "\" stroke=\""
        << strokes[tone] << "\" stroke-width=\"1.5\"/>";
    std::string label = level.name + " " + std::to_string(b.first / unit);
    if (unit >= ranks && b.first == 0)
      label = level.name + " (all " + std::to_string(ranks) + " ranks)";
    out << "<text x=\"" << num(x + kPad) << "\" y=\"" << num(y + 14)
        << "\" font-size=\"12\" font-weight=\"600\" fill=\"" << strokes[tone] << "\">"
        << esc(clip(label, 40)) << " <tspan font-weight=\"400\" fill=\"#656d76\">"
        << esc(clip(level.kind, 20)) << "</tspan></text>";
    out << "</g>";
    for (auto [k, pos] : llvm::zip(b.kids, b.at))
      emitBox(k, x + kPad + pos.first, y + kHeader + pos.second, out);
  }

  void emitRank(int64_t rank, double x, double y, llvm::raw_ostream &out) {
    std::vector<int64_t> c = coordsOf(rank), zero = coordsOf(0);
    std::string data, coordsText;
    for (auto [i, v] : llvm::enumerate(c)) {
      data += (i ? "," : "") + std::to_string(v);
      coordsText += (i ? ", " : "") + s.placement[i].name + "=" + std::to_string(v);
    }
    std::string where;
    for (size_t d = 0; d < drawnLevels.size(); ++d)
      where += "; " + s.topology->levels[drawnLevels[d]].name + " " +
               std::to_string(rank / unitOf[d]);
    std::string info = "rank " + std::to_string(rank) + ": " + coordsText + where;
    int differ = 0;
    for (size_t i = 0; i < c.size(); ++i)
      differ += c[i] != zero[i];
    out << "<g class=\"rank" << (differ == 0 ? " focus" : "") << "\" data-rank=\"" << rank
        << "\" data-c=\"" << data << "\" data-info=\"" << esc(info) << "\"><title>"
        << esc(info) << "</title>";
    out << "<rect class=\"cell\" x=\"" << num(x) << "\" y=\"" << num(y) << "\" width=\""
        << num(kCellW) << "\" height=\"" << num(kCellH) << "\" rx=\"4\"/>";
    for (size_t i = 0; i < c.size(); ++i) {
      if (s.placement[i].size < 2)
        continue;
      double inset = 2 + 3.5 * i;
      bool on = differ == 0 || (differ == 1 && c[i] != zero[i]);
      out << "<rect class=\"ring" << (on ? " on" : "") << "\" data-axis=\"" << i << "\" x=\""
          << num(x + inset) << "\" y=\"" << num(y + inset) << "\" width=\""
          << num(kCellW - 2 * inset) << "\" height=\"" << num(kCellH - 2 * inset)
          << "\" rx=\"3\" stroke=\"" << axisColor(i) << "\"/>";
    }
    out << "<text x=\"" << num(x + kCellW / 2) << "\" y=\"" << num(y + 18)
        << "\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\">rank " << rank
        << "</text>";
    out << "<text x=\"" << num(x + kCellW / 2) << "\" y=\"" << num(y + 34)
        << "\" text-anchor=\"middle\" font-size=\"11\" class=\"mono\">";
    for (auto [i, v] : llvm::enumerate(c))
      out << "<tspan fill=\"" << axisColor(i) << "\">" << (i ? " " : "")
          << esc(clip(s.placement[i].name, 6)) << v << "</tspan>";
    out << "</text></g>";
  }

  void mesh() {
    os << "<section id=\"mesh\">\n<h2>(a) The mesh on the topology</h2>\n";
    os << "<p class=\"small muted\">Each box is one unit of a network level (innermost "
          "inside); device <i>r</i> runs rank <i>r</i>, the mesh's last axis varying fastest. "
          "Each rank shows its mesh coordinates. Outlined in an axis's colour: the ranks "
          "of one group along that axis (they exchange that axis's messages); hover a rank "
          "to see its groups.</p>\n";
    // The axes and the level their groups stay inside.
    os << "<ul class=\"legend\">\n";
    for (auto [i, p] : llvm::enumerate(s.placement)) {
      os << "<li><span class=\"swatch\" style=\"background:" << axisColor(i) << "\"></span>"
         << axisSpan(p.name, "axis " + p.name) << ": " << p.size << " rank"
         << (p.size == 1 ? "" : "s") << " per group, " << p.stride << " apart";
      if (p.size > 1) {
        std::string members;
        for (int64_t k = 0; k < p.size && k < 8; ++k)
          members += (k ? ", " : "") + std::to_string(k * p.stride);
        if (p.size > 8)
          members += ", \xE2\x80\xA6";
        os << " (through rank 0: " << members << ")";
        size_t level = 0;
        if (s.topology)
          for (size_t l = 0; l < s.topology->levels.size(); ++l)
            if (s.topology->levels[l].name == p.level)
              level = l;
        if (level == 0)
          os << "; its messages stay inside one <b>'" << esc(p.level) << "'</b> unit";
        else
          os << "; its messages cross <b>'" << esc(p.level) << "'</b> (a group spans several '"
             << esc(s.topology->levels[level - 1].name) << "' units)";
      }
      os << "</li>\n";
    }
    os << "</ul>\n";
    if (!s.topology || s.topology->levels.empty()) {
      os << "<p>No topology levels to draw.</p>\n</section>\n";
      return;
    }
    const auto &levels = s.topology->levels;
    for (size_t l = 0; l < levels.size(); ++l) {
      int64_t unit = levels[l].devices <= 0 ? ranks : std::min(levels[l].devices, ranks);
      drawnLevels.push_back(l);
      unitOf.push_back(unit);
      if (unit >= ranks)
        break;
    }
    cap = std::min(ranks, kMaxRanksDrawn);
    Box root = layout((int)drawnLevels.size() - 1, 0, ranks);
    std::string svg;
    llvm::raw_string_ostream out(svg);
    emitBox(root, 1, 1, out);
    os << "<div class=\"scroll\"><svg id=\"mesh-svg\" width=\"" << num(root.w + 2)
       << "\" height=\"" << num(root.h + 2) << "\" viewBox=\"0 0 " << num(root.w + 2) << " "
       << num(root.h + 2) << "\" role=\"img\" aria-label=\"mesh over topology levels\">" << svg
       << "</svg></div>\n";
    os << "<div id=\"rank-info\" class=\"small\">rank 0</div>\n";
    if (ranks > cap) {
      int64_t node = unitOf.front();
      os << "<p class=\"small\"><b>Showing ranks 0\xE2\x80\x93" << (cap - 1) << " of " << ranks
         << ".</b> The other " << (ranks - cap) << " ranks";
      if (node > 1)
        os << " (" << (ranks + node - 1) / node - (cap + node - 1) / node << " more '"
           << esc(levels[drawnLevels.front()].name) << "' units)";
      os << " repeat the same pattern: rank <i>r</i> has coordinates ";
      for (auto [i, p] : llvm::enumerate(s.placement))
        os << (i ? ", " : "") << axisSpan(p.name, p.name) << " = (r / " << p.stride << ") mod "
           << p.size;
      os << ".</p>\n";
    }
    std::string unused;
    for (size_t l = drawnLevels.back() + 1; l < levels.size(); ++l)
      unused += (unused.empty() ? "" : ", ") + std::string("'") + levels[l].name + "' (" +
                levels[l].kind + ")";
    if (!unused.empty())
      os << "<p class=\"small muted\">Levels this mesh does not reach: " << esc(unused)
         << ".</p>\n";
    os << "</section>\n";
  }

  //===--------------------------------------------------------------------===//
  // (b) Each tensor's split
  //===--------------------------------------------------------------------===//

  static constexpr size_t kMaxTensors = 24;

  struct TensorGroup {
    std::vector<int64_t> shape;
    std::vector<std::vector<std::string>> split;
    std::vector<size_t> ops;
  };

  int64_t blocksOf(ArrayRef<std::string> axes) const {
    int64_t n = 1;
    for (const std::string &a : axes)
      n *= std::max<int64_t>(1, axisSize(a));
    return n;
  }

  /// The label of block `j` of a dim split by `axes` (outermost first):
  /// each axis's coordinate, e.g. "x1y0".
  std::string blockLabel(ArrayRef<std::string> axes, int64_t j) const {
    std::string label;
    int64_t inner = blocksOf(axes);
    for (const std::string &a : axes) {
      inner /= std::max<int64_t>(1, axisSize(a));
      label += clip(a, 4) + std::to_string((j / std::max<int64_t>(1, inner)) %
                                           std::max<int64_t>(1, axisSize(a)));
    }
    return label;
  }

  /// Block boundaries along a dim of `extent` cut into `blocks`, as fractions,
  /// with the index of the outermost axis whose coordinate changes there.
  std::vector<std::pair<double, size_t>> boundaries(int64_t extent,
                                                    ArrayRef<std::string> axes) const {
    std::vector<std::pair<double, size_t>> cuts;
    int64_t blocks = blocksOf(axes);
    if (blocks < 2 || extent <= 0)
      return cuts;
    int64_t step = std::max<int64_t>(1, blocks / 128); // at most ~128 lines
    int64_t pos = 0;
    for (int64_t j = 1; j < blocks; ++j) {
      pos += extent / blocks + ((j - 1) < extent % blocks ? 1 : 0);
      if (j % step != 0)
        continue;
      // The outermost axis whose coordinate changes between blocks j-1 and j.
      size_t t = 0;
      int64_t inner = blocks;
      for (size_t a = 0; a < axes.size(); ++a) {
        inner /= std::max<int64_t>(1, axisSize(axes[a]));
        if (j % std::max<int64_t>(1, inner) == 0) {
          t = a;
          break;
        }
      }
      cuts.push_back({(double)pos / extent, t});
    }
    return cuts;
  }

  /// The two dims the grid draws (rows, columns; rows -1: one strip). The
  /// split dims come first, those with more than two elements before the
  /// others (a batch of 2); a single split dim is paired with the last other
  /// dim of more than two elements (so a trailing complex pair does not take
  /// the place of a spatial dim); with no split, the last two such dims.
  std::pair<int, int> gridDims(ArrayRef<int64_t> shape,
                               ArrayRef<std::vector<std::string>> split) const {
    int rank = (int)shape.size();
    std::vector<int> big, splitBig, splitAll;
    for (int d = 0; d < rank; ++d) {
      bool isSplit = d < (int)split.size() && blocksOf(split[d]) > 1;
      if (shape[d] > 2)
        big.push_back(d);
      if (isSplit)
        splitAll.push_back(d);
      if (isSplit && shape[d] > 2)
        splitBig.push_back(d);
    }
    const std::vector<int> &primary = splitBig.empty() ? splitAll : splitBig;
    if (primary.size() >= 2)
      return {primary[primary.size() - 2], primary.back()};
    if (primary.size() == 1) {
      int p = primary.front(), partner = -1;
      for (int d : big)
        if (d != p)
          partner = d;
      for (int d = rank - 1; partner < 0 && d >= 0; --d)
        if (d != p && shape[d] > 1)
          partner = d;
      if (partner < 0)
        return {-1, p};
      return {std::min(p, partner), std::max(p, partner)};
    }
    if (big.size() >= 2)
      return {big[big.size() - 2], big.back()};
    if (big.size() == 1)
      return {-1, big.front()};
    return {rank - 2, rank - 1};
  }

  std::string tensorSvg(const TensorGroup &g) {
    std::string svg;
    llvm::raw_string_ostream out(svg);
    size_t rank = g.shape.size();
    if (rank == 0) {
      out << "<svg width=\"60\" height=\"24\" role=\"img\"><text x=\"0\" y=\"16\" "
             "font-size=\"12\">scalar</text></svg>";
      return svg;
    }
    auto [rowDim, colDim] = gridDims(g.shape, g.split);
    int64_t cols = g.shape[colDim], rows = rowDim >= 0 ? g.shape[rowDim] : 1;
    double gw = 150, gh = 26;
    if (rowDim >= 0 && cols > 0 && rows > 0) {
      double ratio = (double)rows / cols;
      gh = std::clamp(150 * ratio, 30.0, 150.0);
      if (ratio > 1)
        gw = std::clamp(150 / ratio, 40.0, 150.0);
    }
    // The other split dims: stacked layers behind the grid.
    int64_t layers = 1;
    std::string layerAxis;
    for (int d = 0; d < (int)rank; ++d) {
      if (d == rowDim || d == colDim)
        continue;
      layers *= blocksOf(g.split[d]);
      if (layerAxis.empty() && !g.split[d].empty())
        layerAxis = g.split[d].front();
    }
    int shadows = (int)std::min<int64_t>(layers, 4) - 1;
    double off = 7, left = 46, top = 30 + off * shadows;
    double width = std::max(left + gw + off * shadows + 8, 200.0), height = top + gh + 6;
    out << "<svg width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
        << num(width) << " " << num(height) << "\" role=\"img\">";
    for (int k = shadows; k >= 1; --k)
      out << "<rect x=\"" << num(left + off * k) << "\" y=\"" << num(top - off * k)
          << "\" width=\"" << num(gw) << "\" height=\"" << num(gh) << "\" fill=\"#f6f8fa\" "
          << "stroke=\"" << colorOfAxis(layerAxis) << "\" stroke-width=\"1.2\"/>";
    int64_t rb = rowDim >= 0 ? blocksOf(g.split[rowDim]) : 1, cb = blocksOf(g.split[colDim]);
    auto spans = [](int64_t extent, int64_t blocks) {
      std::vector<double> at{0};
      int64_t pos = 0;
      for (int64_t j = 0; j < blocks; ++j) {
        pos += extent / blocks + (j < extent % blocks ? 1 : 0);
        at.push_back(extent > 0 ? (double)pos / extent : (double)(j + 1) / blocks);
      }
      return at;
    };
    // Blocks, shaded like a checkerboard so they show without the lines.
    out << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(gw)
        << "\" height=\"" << num(gh) << "\" fill=\"#eaf1f8\"/>";
    if (rb * cb <= 1024 && rb * cb > 1) {
      std::vector<double> ra = spans(rows, rb), ca = spans(cols, cb);
      for (int64_t i = 0; i < rb; ++i)
        for (int64_t j = 0; j < cb; ++j)
          if ((i + j) % 2)
            out << "<rect x=\"" << num(left + ca[j] * gw) << "\" y=\"" << num(top + ra[i] * gh)
                << "\" width=\"" << num((ca[j + 1] - ca[j]) * gw) << "\" height=\""
                << num((ra[i + 1] - ra[i]) * gh) << "\" fill=\"#d3e1ef\"/>";
    }
    out << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(gw)
        << "\" height=\"" << num(gh) << "\" fill=\"none\" stroke=\"#57606a\"/>";
    for (auto [f, t] : boundaries(cols, g.split[colDim]))
      out << "<line x1=\"" << num(left + f * gw) << "\" x2=\"" << num(left + f * gw)
          << "\" y1=\"" << num(top) << "\" y2=\"" << num(top + gh) << "\" stroke=\""
          << colorOfAxis(g.split[colDim][t]) << "\" stroke-width=\""
          << (t == 0 ? "2.2" : "1.2") << "\"/>";
    if (rowDim >= 0)
      for (auto [f, t] : boundaries(rows, g.split[rowDim]))
        out << "<line y1=\"" << num(top + f * gh) << "\" y2=\"" << num(top + f * gh)
            << "\" x1=\"" << num(left) << "\" x2=\"" << num(left + gw) << "\" stroke=\""
            << colorOfAxis(g.split[rowDim][t]) << "\" stroke-width=\""
            << (t == 0 ? "2.2" : "1.2") << "\"/>";
    // Which dims the grid shows.
    out << "<text x=\"2\" y=\"10\" font-size=\"10\" fill=\"#656d76\">";
    if (rowDim >= 0)
      out << "rows d" << rowDim << " (" << rows << "), ";
    out << "columns d" << colDim << " (" << cols << ")</text>";
    // Block labels: each block's mesh coordinates, or the count when many.
    auto text = [&](double pos, bool horizontal, const std::string &color, bool mono,
                    const std::string &content) {
      if (horizontal) // above the stacked layers
        out << "<text x=\"" << num(left + pos) << "\" y=\"" << num(top - 5 - off * shadows)
            << "\" text-anchor=\"middle\"";
      else
        out << "<text x=\"" << num(left - 4) << "\" y=\"" << num(top + pos + 3.5)
            << "\" text-anchor=\"end\"";
      out << " font-size=\"10\"" << (mono ? " class=\"mono\"" : "") << " fill=\"" << color
          << "\">" << esc(content) << "</text>";
    };
    auto labelDim = [&](int dim, bool horizontal) {
      ArrayRef<std::string> axes = g.split[dim];
      int64_t blocks = blocksOf(axes);
      double length = horizontal ? gw : gh;
      if (blocks < 2) {
        text(length / 2, horizontal, "#8c959f", false, "whole");
        return;
      }
      std::string color = colorOfAxis(axes.front());
      std::vector<double> at = spans(g.shape[dim], blocks);
      if (blocks > 8 || length / blocks < (horizontal ? 22 : 12)) {
        std::string names;
        for (const std::string &a : axes)
          names += (names.empty() ? "" : ",") + a;
        text(length / 2, horizontal, color, false,
             "\xC3\xB7" + std::to_string(blocks) + " " + clip(names, 10));
        return;
      }
      for (int64_t j = 0; j < blocks; ++j)
        text((at[j] + at[j + 1]) / 2 * length, horizontal, color, true, blockLabel(axes, j));
    };
    labelDim(colDim, true);
    if (rowDim >= 0)
      labelDim(rowDim, false);
    out << "</svg>";
    return svg;
  }

  void splits() {
    os << "<section id=\"splits\">\n<h2>(b) How each tensor is split</h2>\n";
    os << "<p class=\"small muted\">One card per distinct global shape and split among the "
          "results of the partitioned program's ops (halo exchanges aside), named after the "
          "first op producing it. The grid draws two dims, split ones first (rows: the "
          "earlier dim), cut into the blocks of each split dim; a line's colour is the mesh "
          "axis that cuts there, and each block is labelled with the coordinate of the ranks "
          "holding it. Any other split dim (a batch of two, say) shows as stacked "
          "layers.</p>\n";
    os << "<div class=\"legend small\">";
    for (auto [i, p] : llvm::enumerate(s.placement))
      os << "<span class=\"item\"><span class=\"swatch\" style=\"background:" << axisColor(i)
         << "\"></span>axis " << esc(p.name) << " (" << p.size << ")</span>";
    os << "</div>\n";
    std::vector<TensorGroup> groups;
    std::map<std::pair<std::vector<int64_t>, std::vector<std::vector<std::string>>>, size_t>
        index;
    for (auto [i, op] : llvm::enumerate(s.cost.ops)) {
      // A halo exchange's result is its operand's tensor with borders.
      if (op.resultShape.empty() || op.phase == CostPhase::Halo)
        continue;
      std::vector<std::vector<std::string>> split = op.resultSplit;
      split.resize(op.resultShape.size());
      auto key = std::make_pair(op.resultShape, split);
      auto [it, inserted] = index.try_emplace(key, groups.size());
      if (inserted)
        groups.push_back({op.resultShape, split, {}});
      groups[it->second].ops.push_back(i);
    }
    if (groups.empty())
      os << "<p>No op of the program has a tensor result to draw.</p>\n";
    os << "<div class=\"tensors\">\n";
    for (size_t gi = 0; gi < std::min(groups.size(), kMaxTensors); ++gi) {
      const TensorGroup &g = groups[gi];
      const OpCost &first = s.cost.ops[g.ops.front()];
      std::string producers;
      for (size_t k : g.ops)
        producers += "#" + std::to_string(k) + " " + s.cost.ops[k].kind +
                     (s.cost.ops[k].node.empty() ? "" : " '" + s.cost.ops[k].node + "'") + "\n";
      os << "<div class=\"tensor\" title=\"" << esc(producers) << "\"><div class=\"tname\">"
         << opLabel(first, 60);
      if (g.ops.size() > 1)
        os << " <span class=\"muted\">+" << g.ops.size() - 1 << " more</span>";
      os << "</div>" << tensorSvg(g) << "<div class=\"tshape\">";
      for (size_t d = 0; d < g.shape.size(); ++d) {
        os << (d ? " \xC3\x97 " : "") << g.shape[d];
        if (!g.split[d].empty()) {
          std::string axes;
          for (const std::string &a : g.split[d])
            axes += (axes.empty() ? "" : ",") + a;
          os << axisSpan(g.split[d].front(), "\xC3\xB7" + axes);
        }
      }
      if (g.shape.empty())
        os << "scalar";
      std::vector<int64_t> local;
      bool splitAny = false;
      for (size_t d = 0; d < g.shape.size(); ++d) {
        int64_t b = blocksOf(g.split[d]);
        splitAny |= b > 1;
        local.push_back((g.shape[d] + b - 1) / b);
      }
      auto [rowDim, colDim] = gridDims(g.shape, g.split);
      std::string layers;
      for (size_t d = 0; d < g.shape.size(); ++d) {
        if ((int)d == rowDim || (int)d == colDim || g.split[d].empty())
          continue;
        std::string axes;
        for (const std::string &a : g.split[d])
          axes += (axes.empty() ? "" : ",") + a;
        layers += (layers.empty() ? "" : ", ") + std::string("d") + std::to_string(d) + " " +
                  axisSpan(g.split[d].front(), "\xC3\xB7" + axes) + " (" +
                  std::to_string(blocksOf(g.split[d])) + ")";
      }
      if (!layers.empty())
        os << "<br>layers: " << layers;
      os << "<br><span class=\"muted\">"
         << (splitAny ? "largest block per rank " + joinShape(local) : std::string("whole on every rank"))
         << "</span></div></div>\n";
    }
    os << "</div>\n";
    if (groups.size() > kMaxTensors) {
      size_t rest = 0;
      for (size_t gi = kMaxTensors; gi < groups.size(); ++gi)
        rest += groups[gi].ops.size();
      os << "<p class=\"small\">" << groups.size() - kMaxTensors
         << " more distinct shapes and splits (of " << rest
         << " ops) not drawn; the table of ops in the timeline lists them all.</p>\n";
    }
    os << "</section>\n";
  }

  //===--------------------------------------------------------------------===//
  // (c) The timeline
  //===--------------------------------------------------------------------===//

  static constexpr size_t kMaxRows = 400;

  std::string opTitle(size_t i, const OpCost &op, double startUs) {
    const PlanCost &c = s.cost;
    std::string t = "#" + std::to_string(i) + " " + op.kind;
    t += op.node.empty() ? " (no ONNX node)" : " \xE2\x80\x94 ONNX node '" + op.node + "'";
    t += "\nphase: " + std::string(stringifyCostPhase(op.phase));
    if (!op.opClass.empty())
      t += " (" + op.opClass + ")";
    t += "\ntime: " + timeText(op.us) + ", from " + timeText(startUs) +
         (c.totalUs > 0 ? fmt(" (%.1f%% of the step)", 100.0 * op.us / c.totalUs) : "");
    if (op.phase != CostPhase::Compute) {
      t += "\nalgorithm: " + (op.algorithm.empty() ? std::string("-") : op.algorithm) +
           " over '" + op.level + "'";
      t += "\nsent by the critical rank: " + bytesText((double)op.bytesSent) + " in " +
           std::to_string(op.messages) + " message" + (op.messages == 1 ? "" : "s");
      if (op.computeUs > 0)
        t += "\ncompute " + timeText(op.computeUs) + " + communication " + timeText(op.commUs);
    } else if (op.flops > 0) {
      t += "\nwork on the critical rank: " + flopsText(op.flops);
    }
    t += "\ncritical (slowest) rank: " + std::to_string(op.criticalRank);
    if (!op.resultShape.empty()) {
      t += "\nresult: " + joinShape(op.resultShape) + " split [";
      for (size_t d = 0; d < op.resultShape.size(); ++d) {
        std::string axes;
        if (d < op.resultSplit.size())
          for (const std::string &a : op.resultSplit[d])
            axes += (axes.empty() ? "" : ",") + a;
        t += (d ? ", " : "") + (axes.empty() ? std::string("-") : axes);
      }
      t += "]";
    }
    return esc(t);
  }

  /// Segments of an op's bar: compute first, then its communication.
  std::vector<std::pair<double, const char *>> segments(const OpCost &op) {
    if (op.phase == CostPhase::Compute)
      return {{op.us, kComputeColor}};
    double sum = op.computeUs + op.commUs;
    if (op.computeUs <= 0 || sum <= 0)
      return {{op.us, phaseColor(op.phase)}};
    return {{op.us * op.computeUs / sum, kComputeColor},
            {op.us * op.commUs / sum, phaseColor(op.phase)}};
  }

  void timeline() {
    const PlanCost &c = s.cost;
    os << "<section id=\"timeline\">\n<h2>(c) The predicted step, op by op</h2>\n";
    os << "<p class=\"small muted\">Bulk-synchronous: each op takes its slowest rank's time, "
          "and the ops run one after another. Hover a bar for the op, its ONNX node, the "
          "algorithm and network level of its messages, the bytes sent and the critical "
          "rank.</p>\n";
    os << "<div class=\"legend small\">";
    struct {
      const char *phase, *label, *color;
      double us;
    } phases[] = {{"compute", "compute", kComputeColor, c.computeUs},
                  {"halo", "halo exchange", kHaloColor, c.haloUs},
                  {"collective", "collective", kCollectiveColor, c.collectiveUs}};
    for (auto &p : phases)
      os << "<label class=\"item\"><input type=\"checkbox\" checked data-phase=\"" << p.phase
         << "\"> <span class=\"swatch\" style=\"background:" << p.color << "\"></span>"
         << p.label << " " << timeText(p.us) << "</label>";
    os << "<span class=\"item\">total <b>" << timeText(c.totalUs) << "</b> in " << c.ops.size()
       << " ops</span></div>\n";
    if (c.ops.empty()) {
      os << "<p>The program has no op with a cost.</p>\n</section>\n";
      return;
    }
    double total = std::max(c.totalUs, 1e-9);
    // The whole step as one strip.
    const double stripW = 1100, stripH = 26;
    os << "<div class=\"scroll\"><svg id=\"timeline-strip\" width=\"" << num(stripW)
       << "\" height=\"" << num(stripH + 2) << "\" viewBox=\"0 0 " << num(stripW) << " "
       << num(stripH + 2) << "\" role=\"img\" aria-label=\"the step as one strip\">";
    os << "<rect x=\"0\" y=\"1\" width=\"" << num(stripW) << "\" height=\"" << num(stripH)
       << "\" fill=\"#f0f2f4\"/>";
    double start = 0;
    for (auto [i, op] : llvm::enumerate(c.ops)) {
      double x = start;
      for (auto [us, color] : segments(op)) {
        double w = us / total * stripW;
        if (w > 0)
          os << "<rect class=\"seg ph-" << stringifyCostPhase(op.phase) << "\" data-op=\"" << i
             << "\" x=\"" << fmt("%.2f", x / total * stripW) << "\" y=\"1\" width=\""
             << fmt("%.2f", std::max(w, 0.4)) << "\" height=\"" << num(stripH) << "\" fill=\""
             << color << "\"><title>" << opTitle(i, op, start) << "</title></rect>";
        x += us;
      }
      start += op.us;
    }
    os << "</svg></div>\n";

    // One row per op.
    const double labelW = 290, chartW = 720, rightW = 90, rowH = 17, axisH = 22;
    size_t shown = std::min(c.ops.size(), kMaxRows);
    bool more = c.ops.size() > shown;
    double height = axisH + rowH * (shown + (more ? 1 : 0)) + 4;
    double width = labelW + chartW + rightW;
    os << "<div class=\"scroll\"><svg id=\"timeline-rows\" width=\"" << num(width)
       << "\" height=\"" << num(height) << "\" viewBox=\"0 0 " << num(width) << " "
       << num(height) << "\" role=\"img\" aria-label=\"time per op\">";
    // Ticks at a round step.
    double raw = total / 6, mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
      if (m * mag >= raw) {
        step = m * mag;
        break;
      }
    for (double t = 0; t <= total * 1.0001 && step > 0; t += step) {
      double x = labelW + t / total * chartW;
      os << "<line x1=\"" << num(x) << "\" x2=\"" << num(x) << "\" y1=\"" << num(axisH - 4)
         << "\" y2=\"" << num(height) << "\" stroke=\"#e4e7eb\"/><text x=\"" << num(x)
         << "\" y=\"" << num(axisH - 8) << "\" text-anchor=\"middle\" font-size=\"10\" "
         << "fill=\"#656d76\">"
         << (total >= 1000 ? fmt("%g ms", t / 1000) : fmt("%g \xC2\xB5s", t)) << "</text>";
    }
    start = 0;
    for (size_t i = 0; i < c.ops.size(); ++i) {
      const OpCost &op = c.ops[i];
      if (i >= shown) {
        start += op.us;
        continue;
      }
      double y = axisH + rowH * i;
      os << "<g class=\"op ph-" << stringifyCostPhase(op.phase) << "\" data-op=\"" << i
         << "\"><title>" << opTitle(i, op, start) << "</title>";
      os << "<rect class=\"rowbg\" x=\"0\" y=\"" << num(y) << "\" width=\"" << num(width)
         << "\" height=\"" << num(rowH) << "\" fill=\"" << (i % 2 ? "#fafbfc" : "#fff")
         << "\"/>";
      os << "<text x=\"4\" y=\"" << num(y + 12.5) << "\" font-size=\"11\"><tspan "
         << "fill=\"#8c959f\">" << i << "</tspan> " << opLabel(op, 44) << "</text>";
      double x = start;
      for (auto [us, color] : segments(op)) {
        double w = us / total * chartW;
        os << "<rect x=\"" << fmt("%.2f", labelW + x / total * chartW) << "\" y=\""
           << num(y + 3) << "\" width=\"" << fmt("%.2f", std::max(w, 1.0)) << "\" height=\""
           << num(rowH - 6) << "\" fill=\"" << color << "\"/>";
        x += us;
      }
      os << "<text x=\"" << num(labelW + chartW + 6) << "\" y=\"" << num(y + 12.5)
         << "\" font-size=\"10.5\" fill=\"#57606a\">" << timeText(op.us) << "</text></g>";
      start += op.us;
    }
    if (more) {
      double y = axisH + rowH * shown, restUs = 0, restStart = 0;
      for (size_t i = 0; i < shown; ++i)
        restStart += c.ops[i].us;
      for (size_t i = shown; i < c.ops.size(); ++i)
        restUs += c.ops[i].us;
      os << "<g class=\"op\"><title>" << c.ops.size() - shown
         << " more ops, drawn in the strip above and listed in the table below</title>"
         << "<text x=\"4\" y=\"" << num(y + 12.5) << "\" font-size=\"11\" font-style=\"italic\">"
         << "\xE2\x80\xA6 " << c.ops.size() - shown << " more ops</text><rect x=\""
         << fmt("%.2f", labelW + restStart / total * chartW) << "\" y=\"" << num(y + 3)
         << "\" width=\"" << fmt("%.2f", std::max(restUs / total * chartW, 1.0))
         << "\" height=\"" << num(rowH - 6) << "\" fill=\"#8c959f\"/></g>";
    }
    os << "</svg></div>\n";

    // Every op as a table.
    os << "<details><summary>all " << c.ops.size() << " ops as a table</summary>\n"
       << "<table id=\"ops-table\"><thead><tr><th class=\"n\">#</th><th>op</th><th>ONNX "
          "node</th><th>phase</th><th>class / algorithm</th><th>level</th><th "
          "class=\"n\">time</th><th class=\"n\">compute</th><th class=\"n\">comm</th><th "
          "class=\"n\">bytes sent</th><th class=\"n\">msgs</th><th class=\"n\">work</th><th "
          "class=\"n\">critical rank</th><th>result</th></tr></thead><tbody>\n";
    for (auto [i, op] : llvm::enumerate(c.ops)) {
      bool comm = op.phase != CostPhase::Compute;
      std::string result;
      for (size_t d = 0; d < op.resultShape.size(); ++d) {
        std::string axes;
        if (d < op.resultSplit.size())
          for (const std::string &a : op.resultSplit[d])
            axes += (axes.empty() ? "" : ",") + a;
        result += (d ? "\xC3\x97" : "") + std::to_string(op.resultShape[d]) +
                  (axes.empty() ? "" : "\xC3\xB7" + axes);
      }
      os << "<tr><td class=\"n\">" << i << "</td><td>" << esc(op.kind) << "</td><td>"
         << esc(op.node) << "</td><td><span class=\"swatch\" style=\"background:"
         << phaseColor(op.phase) << "\"></span>" << stringifyCostPhase(op.phase) << "</td><td>"
         << esc(comm ? op.algorithm : op.opClass) << "</td><td>" << esc(comm ? op.level : "")
         << "</td><td class=\"n\">" << timeText(op.us) << "</td><td class=\"n\">"
         << timeText(op.computeUs) << "</td><td class=\"n\">" << timeText(op.commUs)
         << "</td><td class=\"n\">" << (comm ? bytesText((double)op.bytesSent) : "")
         << "</td><td class=\"n\">" << (comm ? std::to_string(op.messages) : "")
         << "</td><td class=\"n\">" << (op.flops > 0 ? flopsText(op.flops) : "")
         << "</td><td class=\"n\">" << op.criticalRank << "</td><td class=\"small\">"
         << esc(result) << "</td></tr>\n";
    }
    os << "</tbody></table></details>\n</section>\n";
  }

  //===--------------------------------------------------------------------===//
  // (d) The plan search's candidates
  //===--------------------------------------------------------------------===//

  void candidates() {
    os << "<section id=\"candidates\">\n<h2>(d) The plan search</h2>\n";
    if (ranked.empty()) {
      os << "<p>The mesh was given (<code>--mesh=" << esc(joinMesh(s.mesh))
         << "</code>): there was no search. With <code>--mesh=auto --devices=N</code> this "
            "section ranks the candidate meshes and splits by predicted time.</p>\n"
            "</section>\n";
      return;
    }
    size_t evaluated = 0;
    double maxUs = 0;
    for (const PlanCandidate &c : ranked)
      if (c.cost && c.error.empty()) {
        ++evaluated;
        maxUs = std::max(maxUs, c.cost->totalUs);
      }
    os << "<p class=\"small muted\">" << ranked.size() << " candidates screened with a closed "
       << "form, " << evaluated << " evaluated with the real pipeline and the cost model on '"
       << esc(topologyName()) << "' for " << ranks
       << " devices. The winner is the fastest that fits in device memory; memory marked "
          "! does not fit. Click a column to sort.</p>\n";
    os << "<div class=\"scroll\"><table id=\"cand-table\"><thead><tr>"
       << "<th class=\"n\" data-col=\"0\">#</th><th>mesh</th><th>splits</th>"
       << "<th>--shard</th><th class=\"n\" data-col=\"4\">total ms</th>"
       << "<th class=\"n\" data-col=\"5\">compute</th><th class=\"n\" data-col=\"6\">halo</th>"
       << "<th class=\"n\" data-col=\"7\">collective</th>"
       << "<th class=\"n\" data-col=\"8\">memory MiB</th>"
       << "<th class=\"n\" data-col=\"9\">screen ms</th><th>breakdown</th></tr></thead><tbody>\n";
    for (auto [i, c] : llvm::enumerate(ranked)) {
      bool winner = i == 0;
      bool ok = c.cost && c.error.empty();
      const char *rowClass = winner ? " class=\"winner\"" : !ok ? " class=\"failed\"" : "";
      os << "<tr data-rank=\"" << i + 1 << "\"" << rowClass << "><td class=\"n\" data-v=\""
         << i + 1 << "\">" << i + 1 << (winner ? "<span class=\"badge\">chosen</span>" : "")
         << "</td><td>" << esc(c.meshString()) << "</td><td>" << esc(c.description)
         << "</td><td><code>" << esc(c.shardFlag()) << "</code></td>";
      if (ok) {
        const PlanCost &p = *c.cost;
        auto cell = [&](double us) {
          os << "<td class=\"n\" data-v=\"" << fmt("%.6g", us) << "\">" << ms(us) << "</td>";
        };
        cell(p.totalUs);
        cell(p.computeUs);
        cell(p.haloUs);
        cell(p.collectiveUs);
        os << "<td class=\"n" << (c.fits ? "" : " nofit") << "\" data-v=\""
           << fmt("%.6g", c.memoryBytes() / 1048576.0) << "\""
           << (c.fits ? "" : " title=\"does not fit in device memory\"") << ">"
           << fmt("%.1f", c.memoryBytes() / 1048576.0) << (c.fits ? "" : "!") << "</td>";
      } else {
        std::string status = c.error.empty() ? "screened only" : "failed: " + c.error;
        os << "<td class=\"n\" colspan=\"5\" title=\"" << esc(status) << "\">"
           << esc(clip(status, 90)) << "</td>";
      }
      os << "<td class=\"n\" data-v=\"" << fmt("%.6g", c.screenUs) << "\">" << ms(c.screenUs)
         << "</td><td>";
      if (ok)
        os << phaseBar(*c.cost, maxUs, 200, 12);
      os << "</td></tr>\n";
    }
    os << "</tbody></table></div>\n";
    const PlanCandidate &w = ranked.front();
    os << "<p>Chosen: mesh <b>" << esc(w.meshString()) << "</b>, " << esc(w.description)
       << " (<code>--mesh=" << esc(w.meshString()) << " --shard=" << esc(w.shardFlag())
       << "</code>).</p>\n</section>\n";
  }
};

} // namespace

LogicalResult quilt::writePlanReport(const Simulation &simulation,
                                     ArrayRef<PlanCandidate> ranked, StringRef path,
                                     std::string &error) {
  auto file = openOutputFile(path, &error);
  if (!file) {
    error = "--plan-report: " + error;
    return failure();
  }
  std::string page;
  llvm::raw_string_ostream os(page);
  Writer(simulation, ranked, os).write();
  file->os() << page;
  file->os().flush();
  if (file->os().has_error()) {
    error = "--plan-report: cannot write '" + path.str() + "'";
    file->os().clear_error();
    return failure();
  }
  file->keep();
  return success();
}
