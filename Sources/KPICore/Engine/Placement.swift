/// Where one instant falls: its local day, the first days of its week and
/// month, and its UTC hour bucket. Computed once per event.
struct Placement {
    let time: Int64
    let day: Int64
    let week: Int64
    let month: Int64
    let hour: Int32

    func startDay(of type: WindowType) -> Int64 {
        switch type {
        case .day: day
        case .week: week
        default: month
        }
    }
}
