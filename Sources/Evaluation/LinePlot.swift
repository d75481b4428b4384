import Foundation

/// A line chart written as SVG: several named series of (x, y) points overlaid, with axes,
/// "nice" ticks (1, 2, 5 × 10ⁿ), axis labels, a title and a legend — e.g. train and validation
/// loss against step, for several runs.
public struct LinePlot: Sendable {
    /// One line of the chart.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// Dashed (e.g. validation beside a solid train curve).
        public var dashed: Bool
        public init(name: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.points = points
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Size of the plotting area; the margins (and the legend's width) come on top.
    public var plotWidth: Double = 540
    public var plotHeight: Double = 340

    public init(title: String, xLabel: String = "step", yLabel: String = "loss", series: [Series] = []) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// A palette that stays distinguishable in print (Tableau 10).
    static let colors = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// The chart as an SVG document. Non-finite points are left out; an empty chart still has
    /// its axes.
    public func svg() -> String {
        let finite = series.map { s in s.points.filter { $0.x.isFinite && $0.y.isFinite } }
        let xs = finite.joined().map(\.x), ys = finite.joined().map(\.y)
        let xTicks = Self.ticks(low: xs.min() ?? 0, high: xs.max() ?? 1)
        let yTicks = Self.ticks(low: ys.min() ?? 0, high: ys.max() ?? 1)
        let (x0, x1) = (xTicks.first!, xTicks.last!), (y0, y1) = (yTicks.first!, yTicks.last!)
        // The legend column is as wide as its longest name (about 7 px per character at 12 px).
        let longest = series.map(\.name.count).max() ?? 0
        let left = 72.0, right = Double(max(60, 56 + 7 * longest)), top = 44.0, bottom = 56.0
        let width = left + plotWidth + right, height = top + plotHeight + bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (y - y0) / (y1 - y0)) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.2f", v) }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left + plotWidth / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

            """
        // Grid and ticks.
        for t in xTicks {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotHeight))\" stroke=\"#e6e6e6\"/>\n"
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + plotHeight))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotHeight + 5))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotHeight + 19))\" text-anchor=\"middle\">\(Self.label(t, ticks: xTicks))</text>\n"
        }
        for t in yTicks {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(py(t)))\" stroke=\"#e6e6e6\"/>\n"
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(py(t)))\" x2=\"\(f(left))\" y2=\"\(f(py(t)))\" stroke=\"black\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.label(t, ticks: yTicks))</text>\n"
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text x=\"18\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f(top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
        // Lines and legend.
        for (i, points) in finite.enumerated() {
            let color = Self.colors[i % Self.colors.count], dash = series[i].dashed ? " stroke-dasharray=\"6 4\"" : ""
            if points.count == 1 {
                out += "<circle cx=\"\(f(px(points[0].x)))\" cy=\"\(f(py(points[0].y)))\" r=\"3\" fill=\"\(color)\"/>\n"
            } else if !points.isEmpty {
                let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>\n"
            }
            let ly = top + 12 + Double(i) * 20, lx = left + plotWidth + 16
            out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            out += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly + 4))\">\(escape(series[i].name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Tick values from `low` to `high` at a step of 1, 2 or 5 × 10ⁿ, about 6 of them, covering
    /// both ends (a single value gets a unit-wide range around it).
    static func ticks(low: Double, high: Double) -> [Double] {
        var (low, high) = (low, high)
        if high - low < 1e-12 * max(1, abs(low)) { low -= 0.5; high += 0.5 }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw }!
        let first = floor(low / step) * step, last = ceil(high / step) * step
        let count = Int(((last - first) / step).rounded())
        return (0...count).map { first + Double($0) * step }
    }

    /// A tick label with as many decimals as the tick step needs.
    static func label(_ value: Double, ticks: [Double]) -> String {
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        if abs(value) >= 1e5 || (abs(value) < 1e-3 && value != 0) { return String(format: "%.1e", value) }
        return String(format: "%.\(decimals)f", abs(value) < step / 2 ? 0 : value)
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension MLflowRun {
    /// The points of metric `key`, in file order: `(step, value)`.
    public func metricHistory(_ key: String) throws -> [(step: Int, value: Double)] {
        let url = folder.appendingPathComponent("metrics").appendingPathComponent(key)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let value = Double(fields[1]) else { return nil }
            return (fields.count >= 3 ? Int(fields[2]) ?? 0 : 0, value)
        }
    }
}
