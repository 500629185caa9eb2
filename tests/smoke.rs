use deferreds::*;
#[test]
fn sizes() {
    eprintln!("chain-ish sizes printed by unit test");
}
#[test]
fn basic_flow() {
    let (d, r) = Deferred::<u64>::new();
    let d = d.add_callback(|x| Ok(x + 1)).add_callback(|x| Ok(x * 2));
    r.callback(1);
    assert_eq!(testing::success_result_of(d), 4);
}
#[test]
fn nested() {
    let (inner, ri) = Deferred::<u64>::new();
    let (outer, ro) = Deferred::<u64>::new();
    let outer = outer.add_callback(move |_| inner).add_callback(|x| Ok(x + 1));
    ro.callback(0);
    testing::assert_no_result(&outer);
    ri.callback(10);
    assert_eq!(testing::success_result_of(outer), 11);
}
