import Foundation

/// Bar charts drawn as SVG on the server, so the reports need no charting script: each chart is
/// an image with a title for screen readers, and its figures are also in a table beside it.
enum ReportCharts {
    /// A horizontal bar per `(label, value)`, scaled to the largest value.
    static func bars(id: String, title: String, _ bars: [(label: String, value: Int)]) -> String {
        let rowHeight = 28
        let labelWidth = 190
        let barWidth = 360
        let height = max(1, bars.count) * rowHeight + 8
        let largest = max(1, bars.map(\.value).max() ?? 1)
        var svg =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(labelWidth + barWidth + 60) \(height)\" width=\"100%\" class=\"chart\">"
            + "<title id=\"\(id)-title\">\(escaped(title))</title>"
        for (index, bar) in bars.enumerated() {
            let y = index * rowHeight + 4
            let width = Int((Double(bar.value) / Double(largest) * Double(barWidth)).rounded())
            svg +=
                "<text x=\"\(labelWidth - 8)\" y=\"\(y + 18)\" text-anchor=\"end\" font-size=\"14\" fill=\"#1b1f24\">\(escaped(bar.label))</text>"
            svg +=
                "<rect x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(max(width, bar.value > 0 ? 2 : 0))\" height=\"\(rowHeight - 10)\" fill=\"#0b5394\"/>"
            svg += "<text x=\"\(labelWidth + width + 6)\" y=\"\(y + 18)\" font-size=\"14\" fill=\"#1b1f24\">\(bar.value)</text>"
        }
        return svg + "</svg>"
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
