import PackagePlugin

/// Embeds a target's `Dashboard/Resources` files (the dashboard's .html, .css
/// and .js) as static strings (`DashboardFiles`), so the page is kept as real
/// files yet the one binary needs no resource bundle beside it.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let directory = target.directoryURL.appending(path: "Dashboard/Resources")
        let inputs = module.sourceFiles.map(\.url)
            .filter { $0.path.hasPrefix(directory.path + "/") }
            .sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "DashboardFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.map(\.lastPathComponent).joined(separator: ", "))",
            executable: try context.tool(named: "embed-files").url,
            arguments: ["DashboardFiles", output.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output])]
    }
}
