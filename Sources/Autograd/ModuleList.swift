/// An ordered list of sub-modules named `0`, `1`, … as `torch.nn.ModuleList`, so a stack of
/// layers gets the checkpoint keys `layers.0.…`, `layers.1.…`.
public final class ModuleList<Element: Module>: Module, RandomAccessCollection {
    public let modules: [Element]

    public init(_ modules: [Element]) { self.modules = modules }

    public var children: [(name: String, module: any Module)] {
        modules.enumerated().map { (String($0.offset), $0.element as any Module) }
    }

    public var startIndex: Int { modules.startIndex }
    public var endIndex: Int { modules.endIndex }
    public subscript(index: Int) -> Element { modules[index] }
}
