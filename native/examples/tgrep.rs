fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opts = codesm_native::grep::GrepOptions::default();
    let t = std::time::Instant::now();
    let out = codesm_native::grep::grep(&args[1], std::path::Path::new(&args[2]), &opts).unwrap();
    eprintln!("{} matches {:?}", out.match_count(), t.elapsed());
}
