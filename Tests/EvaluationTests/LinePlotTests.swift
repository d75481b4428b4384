import Foundation
import Testing
@testable import Evaluation

@Suite struct LinePlotTests {
    @Test func ticksAreNiceAndCoverTheRange() {
        #expect(LinePlot.ticks(low: 0, high: 100) == [0, 20, 40, 60, 80, 100])
        let t = LinePlot.ticks(low: 1.37, high: 2.91)
        #expect(t.first! <= 1.37 && t.last! >= 2.91 && t.count >= 4 && t.count <= 12)
        #expect(LinePlot.ticks(low: 5, high: 5).count >= 2)           // a single value still gets an axis
        #expect(LinePlot.label(0.5, ticks: [0, 0.5, 1]) == "0.5" && LinePlot.label(20, ticks: [0, 20]) == "20")
    }

    @Test func svgHasAxesSeriesAndLegend() {
        var plot = LinePlot(title: "Loss <CPT>", series: [
            .init(name: "run A train/loss", points: (1...50).map { (Double($0), 3 / Double($0).squareRoot()) }),
            .init(name: "run A val/loss", points: [(10, 1.2), (20, 0.9), (30, .nan), (40, 0.8)], dashed: true),
        ])
        plot.series.append(.init(name: "single", points: [(25, 1.0)]))
        let svg = plot.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("Loss &lt;CPT&gt;") && svg.contains(">step<") && svg.contains(">loss<"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains("stroke-dasharray") && svg.contains("<circle"))
        #expect(svg.contains(">run A train/loss<") && svg.contains(">run A val/loss<"))
        #expect(!svg.contains("nan"))
        #expect(LinePlot(title: "empty").svg().contains("<rect"))
    }
}
